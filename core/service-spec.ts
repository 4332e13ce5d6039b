import { z } from 'zod';
import { ANALYSIS_DEFAULTS, AnalysisSpec, LoadProfile } from './analysis/spec';
import { dnsLabel } from './dns-label';
import { durationMs } from './duration';
import { GPU_RESOURCE } from './gpu-capacity';
import { KeyRef } from './key-ref';
import { parseImageRef } from './image-ref';
import { engineOf } from './server';
import { ModelSource, SERVER_DEFAULTS, ServerSpec } from './server/spec';
import { GatewayApiTraffic } from './traffic/gateway-api';
import { ReplicaRatioTraffic } from './traffic/replica-ratio';

/**
 * The service spec: everything the pipeline needs to release one model service. One file
 * (YAML or JSON) per service; defaults come from the seed documents (P95 < 2 s, error rate < 5 %,
 * GPU memory < 90 %).
 */

/**
 * An image reference with its registry host: by digest (repo@sha256:…) or by tag (repo:tag),
 * which the pipeline resolves to a digest before anything is deployed.
 */
export const imageReference = z
  .string()
  .refine((s) => parseImageRef(s) !== undefined, 'must be registry-host/repository[:tag][@sha256:<64 hex digits>]');

const validRegExp = (s: string) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};

/** A keyless signer: the OIDC issuer and the certificate subject (exact, or a pattern matched against the whole subject). */
const KeylessIdentity = z
  .strictObject({
    issuer: z.string().url(),
    subject: z.string().min(1).optional(),
    subjectRegExp: z.string().min(1).refine(validRegExp, 'not a valid regular expression').optional(),
  })
  .refine((k) => (k.subject === undefined) !== (k.subjectRegExp === undefined), {
    message: 'give exactly one of subject and subjectRegExp',
  });

const percent = z.number().min(0).max(100);

const CanaryStep = z
  .strictObject({
    /** Share of traffic (percent) sent to the canary at this step. */
    weight: percent.optional(),
    /** Canary replicas at this step (instead of, or as well as, a weight). */
    replicas: z.number().int().positive().optional(),
    /** How long to observe the step before the next (analysis runs during it). */
    bake: durationMs.optional(),
    /** `manual`: wait for a `promote` from a person before going on. */
    gate: z.enum(['manual']).optional(),
  })
  .refine((s) => s.weight !== undefined || s.replicas !== undefined, { message: 'a step needs a weight or a replica count' })
  .refine((s) => !(s.bake !== undefined && s.gate !== undefined), { message: 'a step has a bake time or a manual gate, not both' });
export type CanaryStep = z.infer<typeof CanaryStep>;

/** How traffic is split between the stable and the canary: one schema variant per traffic kind (core/traffic/). */
const Traffic = z.discriminatedUnion('kind', [ReplicaRatioTraffic, GatewayApiTraffic]);
export type TrafficSpec = z.infer<typeof Traffic>;

export const Slos = z.strictObject({
  p95LatencyMs: z.number().positive().default(2000),
  /** Optional: P95 time to first token of the canary. */
  ttftP95Ms: z.number().positive().optional(),
  errorRate: z.number().min(0).max(1).default(0.05),
  gpuMemoryUtilization: z.number().min(0).max(1).default(0.9),
});

const EnvValue = z.union([z.string(), z.strictObject({ secretKeyRef: KeyRef }), z.strictObject({ configMapKeyRef: KeyRef })]);
export type EnvValue = z.infer<typeof EnvValue>;

/** The environment of a spec that names none. */
export const DEFAULT_ENVIRONMENT = 'production';

export const ServiceSpec = z
  .strictObject({
    service: dnsLabel,
    namespace: dnsLabel,
    /** The release's version (shown in labels, statuses and reports). */
    version: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'letters, digits, "-", "_" and "."'),
    /** Where this release goes (e.g. production, staging): picks the supply-chain enforcement and names GitHub deployments. */
    environment: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'letters, digits, "-", "_" and "."')
      .default(DEFAULT_ENVIRONMENT),
    image: imageReference,
    model: z.strictObject({
      /** The name clients ask for (the engine's served model name); also the hub id when there is no source. */
      name: z.string().min(1),
      /** Where the weights are: a PVC (mounted read-only) or s3://…; unset, the engine fetches `name` from its hub. */
      source: ModelSource.optional(),
      /** Longest a replica may take from start to Ready (loading weights); a step fails past it. */
      loadBudget: durationMs.default(15 * 60_000),
    }),
    /** The serving engine and its options (core/server/). */
    server: ServerSpec.default(SERVER_DEFAULTS),
    gpu: z.strictObject({
      pool: z.string().min(1),
      /** Node label that names the pool. */
      poolLabel: z.string().min(1).default('pool'),
      perReplica: z.number().int().positive(),
      resource: z.string().default(GPU_RESOURCE),
      /**
       * The pool grows on demand (cluster autoscaler, Karpenter): a canary surges instead of
       * swapping, and a pod the scheduler cannot place yet (Insufficient GPUs) is waited on for
       * `scaleUpBudget` — reported in the status — instead of failing the step at once.
       */
      autoscaling: z.strictObject({ scaleUpBudget: durationMs.default(15 * 60_000) }).optional(),
      /**
       * How long a release waits for GPUs other releases in flight have reserved on the pool
       * (reported in the status); `0s` refuses at once, naming them.
       */
      queueBudget: durationMs.default(30 * 60_000),
      /** Taints the pool's nodes carry that model pods tolerate. */
      tolerations: z
        .array(
          z.strictObject({
            key: z.string(),
            operator: z.enum(['Exists', 'Equal']).default('Exists'),
            value: z.string().optional(),
            effect: z.string().optional(),
          }),
        )
        .default([{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }]),
    }),
    replicas: z.number().int().positive(),
    container: z
      .strictObject({
        port: z.number().int().min(1).max(65535).default(8000),
        args: z.array(z.string()).default([]),
        /** Literal values, or a key of a Secret or ConfigMap (e.g. a hub token). */
        env: z.record(z.string(), EnvValue).default({}),
        cpu: z.string().default('4'),
        memory: z.string().default('32Gi'),
      })
      .default({ port: 8000, args: [], env: {}, cpu: '4', memory: '32Gi' }),
    podAnnotations: z.record(z.string(), z.string()).default({}),
    /** A PodDisruptionBudget over the service's pods (every revision), applied when a release is promoted. */
    disruptionBudget: z.strictObject({ maxUnavailable: z.number().int().positive() }).optional(),
    /**
     * A NetworkPolicy, applied when a release is promoted: only the route's gateway namespace,
     * namespaces labelled autoglm.dev/dr-access (the worker's) and these reach the model pods.
     */
    networkPolicy: z.strictObject({ allowNamespaces: z.array(dnsLabel).default([]) }).optional(),
    rollout: z.strictObject({
      traffic: Traffic.default({ kind: 'replica-ratio' }),
      steps: z.array(CanaryStep).min(1, 'at least one canary step'),
      /** When the pool has no room for canary pods beside the stable ones, scale the stable down first. */
      allowSwap: z.boolean().default(true),
      /** Longest one step may wait for pods (beyond the model-load budget), and for a manual gate. */
      stepTimeout: durationMs.default(30 * 60_000),
      gateTimeout: durationMs.default(24 * 3_600_000),
      /**
       * Who may pass a manual gate: only these identities (as the client presents them: a client
       * certificate's subject with mTLS), and, with `fourEyes`, never the one who started the release.
       */
      approval: z
        .strictObject({
          approvers: z.array(z.string().min(1)).min(1, 'at least one approver'),
          fourEyes: z.boolean().default(true),
        })
        .optional(),
    }),
    /** What the image must carry before it is deployed. */
    supplyChain: z
      .strictObject({
        /** cosign public keys (PEM); with any (or any keyless identity), a trusted signature over the image's digest is required. */
        cosignKeys: z.array(z.string().includes('PUBLIC KEY', { message: 'a PEM public key' })).default([]),
        /** Keyless signers allowed: sigstore bundles with a certificate for one of these identities. */
        keyless: z.array(KeylessIdentity).default([]),
        /** Require a SLSA provenance attestation (cosign attest), signed by a trusted signer, built as stated here. */
        provenance: z
          .strictObject({ repository: z.string().url(), refPrefix: z.string().optional(), builders: z.array(z.string()).default([]) })
          .optional(),
        /** Per environment: `enforce` refuses an image that fails a check, `warn` deploys it (pinned) and reports. Unlisted environments enforce. */
        enforcement: z.record(z.string(), z.enum(['enforce', 'warn'])).default({}),
      })
      .refine((s) => !s.provenance || s.cosignKeys.length > 0 || s.keyless.length > 0, {
        message: 'provenance needs cosignKeys or keyless identities to verify the attestation with',
        path: ['provenance'],
      })
      .default({ cosignKeys: [], keyless: [], enforcement: {} }),
    slos: Slos.default({ p95LatencyMs: 2000, errorRate: 0.05, gpuMemoryUtilization: 0.9 }),
    /** How each canary step is judged (Prometheus checks, burn rates, canary vs baseline, golden prompts). */
    analysis: AnalysisSpec.default(ANALYSIS_DEFAULTS),
    /** Load sent through the service while each canary step is observed; unset, the step watches real traffic only. */
    loadTest: LoadProfile.optional(),
  })
  .superRefine((spec, ctx) => {
    for (const problem of engineOf(spec.server.engine).problems(spec)) ctx.addIssue({ code: 'custom', ...problem });
    let lastWeight = -1;
    spec.rollout.steps.forEach((step, i) => {
      if (step.replicas !== undefined && step.replicas > spec.replicas) {
        ctx.addIssue({
          code: 'custom',
          path: ['rollout', 'steps', i, 'replicas'],
          message: `more canary replicas (${step.replicas}) than the service has (${spec.replicas})`,
        });
      }
      if (step.weight !== undefined) {
        if (step.weight < lastWeight)
          ctx.addIssue({
            code: 'custom',
            path: ['rollout', 'steps', i, 'weight'],
            message: `weights must not go down (${lastWeight} → ${step.weight})`,
          });
        lastWeight = step.weight;
      }
    });
  });

export type ServiceSpec = z.infer<typeof ServiceSpec>;

/** How strictly this release's environment treats supply-chain failures. */
export const enforcementFor = (spec: ServiceSpec) => spec.supplyChain.enforcement[spec.environment] ?? 'enforce';

/** Whether the image must carry a trusted signature. */
export const signaturesRequired = (spec: ServiceSpec) => spec.supplyChain.cosignKeys.length > 0 || spec.supplyChain.keyless.length > 0;
export type ServiceSpecInput = z.input<typeof ServiceSpec>;
