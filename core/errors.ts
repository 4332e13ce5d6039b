/**
 * Stable failure types. Workflows and activities throw ApplicationFailure with one of these as
 * `type`; the non-retryable ones are also listed in every retry policy, so a retry never repeats
 * what cannot succeed.
 */
export const ErrorType = {
  InvalidInput: 'InvalidInput',
  InvalidConfig: 'InvalidConfig',
  GpuPoolNotFound: 'GpuPoolNotFound',
  KubernetesForbidden: 'KubernetesForbidden',
  KubernetesUnavailable: 'KubernetesUnavailable',
  /** The pool cannot hold the pods a step needs (planned, or reported by the scheduler). */
  GpuCapacityExhausted: 'GpuCapacityExhausted',
  ImagePullFailed: 'ImagePullFailed',
  CrashLoop: 'CrashLoop',
  /** Replicas did not turn Ready within the model-load budget. */
  ModelLoadTimeout: 'ModelLoadTimeout',
  WatchClosed: 'WatchClosed',
  ReleaseAborted: 'ReleaseAborted',
  ReleaseInProgress: 'ReleaseInProgress',
  GateTimeout: 'GateTimeout',
  ImageNotFound: 'ImageNotFound',
  RegistryUnauthorized: 'RegistryUnauthorized',
  RegistryUnavailable: 'RegistryUnavailable',
  /** The image has no cosign signature. */
  NoSignature: 'NoSignature',
  /** Signatures exist, but none verifies with a trusted key. */
  SignatureInvalid: 'SignatureInvalid',
  /** Content or a signature names another digest than the image's. */
  DigestMismatch: 'DigestMismatch',
  /** The policy requires SLSA provenance and none (usable) is attached. */
  MissingAttestation: 'MissingAttestation',
  /** A verified provenance names another repository, ref or builder than the policy. */
  ProvenanceMismatch: 'ProvenanceMismatch',
  /** A keyless signature verifies, but its certificate names an identity or issuer the policy does not allow. */
  IdentityMismatch: 'IdentityMismatch',
  /** A keyless certificate does not chain to the trusted root, or was not valid (expired) when it was used. */
  CertificateInvalid: 'CertificateInvalid',
  /** A keyless signature lacks a valid transparency-log entry (inclusion proof or promise). */
  TransparencyLogInvalid: 'TransparencyLogInvalid',
  /** Canary analysis found a breach (SLO, burn rate, canary worse than baseline, golden prompts): rolled back. */
  AnalysisFailed: 'AnalysisFailed',
  /** Canary analysis had no verdict (no data, Prometheus down) within its budget: rolled back, never promoted. */
  AnalysisInconclusive: 'AnalysisInconclusive',
  /** A backup's manifest, objects or files do not match their checksums. */
  BackupCorrupt: 'BackupCorrupt',
  /** The backup named (or its manifest) is not in the store. */
  BackupNotFound: 'BackupNotFound',
  /** No such service: nothing serves and it has no history (an on-call rollback of a name never released). */
  ServiceNotFound: 'ServiceNotFound',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.ServiceNotFound,
  ErrorType.InvalidConfig,
  ErrorType.GpuPoolNotFound,
  ErrorType.KubernetesForbidden,
  ErrorType.GpuCapacityExhausted,
  ErrorType.ImagePullFailed,
  ErrorType.CrashLoop,
  ErrorType.ModelLoadTimeout,
  ErrorType.ReleaseAborted,
  ErrorType.ReleaseInProgress,
  ErrorType.GateTimeout,
  ErrorType.ImageNotFound,
  ErrorType.RegistryUnauthorized,
  ErrorType.NoSignature,
  ErrorType.SignatureInvalid,
  ErrorType.DigestMismatch,
  ErrorType.MissingAttestation,
  ErrorType.ProvenanceMismatch,
  ErrorType.IdentityMismatch,
  ErrorType.CertificateInvalid,
  ErrorType.TransparencyLogInvalid,
  ErrorType.AnalysisFailed,
  ErrorType.AnalysisInconclusive,
  ErrorType.BackupCorrupt,
  ErrorType.BackupNotFound,
];
