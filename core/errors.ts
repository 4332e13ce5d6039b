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
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export const NON_RETRYABLE_ERROR_TYPES: readonly ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.InvalidConfig,
  ErrorType.GpuPoolNotFound,
  ErrorType.KubernetesForbidden,
];
