import { z } from 'zod';
import { durationMs } from '../core/duration';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { describeIssues } from '../core/validation';
import { isAesKeyText } from '../security/aes-key';
import { TEMPORAL_TLS_ENV, TLS_PAIR_MESSAGE, TemporalTlsFields, temporalTls } from '../security/temporal-tls';

const tlsField = TemporalTlsFields.shape;

const aesKey = z.string().refine(isAesKeyText, '32 bytes, base64 (openssl rand -base64 32)');

/** The worker's whole configuration; every value can come from a flag or the environment. */
export const WorkerConfig = z
  .object({
    temporalAddress: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'host:port')
      .default('127.0.0.1:7233'),
    /** TLS to Temporal: "true" for TLS without a client certificate (implied by the files below). */
    temporalTls: tlsField.tls,
    /** mTLS client certificate and key (PEM files), as the temporal CLI reads them. */
    temporalTlsCert: tlsField.certFile,
    temporalTlsKey: tlsField.keyFile,
    /** The frontend's CA (PEM file); unset: the system's. */
    temporalTlsCa: tlsField.caFile,
    /** The name the frontend's certificate must carry (and SNI), when it is not the address's host. */
    temporalTlsServerName: tlsField.serverName,
    /**
     * Worker Versioning: with a build id, the worker joins this Worker Deployment and every workflow
     * it starts stays PINNED to its build, so upgrading the worker never changes a release in flight.
     */
    deploymentName: z.string().min(1).default('autoglm-deploy'),
    /** This worker's build (e.g. the image tag or git sha); unset: unversioned (patches keep upgrades safe). */
    buildId: z.string().min(1).max(255).optional(),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    /** Unset: $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
    kubeconfig: z.string().min(1).optional(),
    /** A prebuilt workflow bundle (npm run build:workflows); unset bundles the sources at start-up. */
    workflowBundle: z.string().min(1).optional(),
    /** How long in-flight activities may run after SIGTERM before they are cancelled. */
    shutdownGraceMs: durationMs.default(30_000),
    /** Activities run at once (waits and bakes hold a slot each while they watch); unset: the SDK's 100. */
    maxActivities: z.coerce.number().int().positive().optional(),
    /** Workflow tasks processed at once; unset: the SDK's 40. */
    maxWorkflowTasks: z.coerce.number().int().min(2, 'at least 2 (the SDK needs one for sticky and one for the normal queue)').optional(),
    /** Workflows kept in memory between tasks (sticky cache); more releases than this replay their history on each task. Unset: the SDK's, from the heap size. */
    stickyCacheSize: z.coerce.number().int().nonnegative().optional(),
    logLevel: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** Registries reached over plain HTTP besides loopback, comma-separated host[:port]. */
    insecureRegistries: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      ),
    /** sigstore trusted_root.json for keyless signatures; unset, specs that allow keyless signers are refused. */
    sigstoreTrustedRoot: z.string().min(1).optional(),
    /** Prometheus base URL for canary analysis; unset, specs with analysis enabled fail at their first bake. */
    prometheusUrl: z.string().url().optional(),
    /** How model Services are reached: a URL template with {service}, {namespace}, {port}. */
    serviceUrl: z.string().min(1).default('http://{service}.{namespace}.svc:{port}'),
    /** Host header template, when serviceUrl is a shared gateway or proxy. */
    serviceHost: z.string().min(1).optional(),
    /** The Gateway API gateway's URL, for load sent through a route's hostname. */
    gatewayUrl: z.string().url().optional(),
    /** An S3-compatible server for backups in `s3` stores (SeaweedFS, MinIO, …); unset: AWS S3. */
    s3Endpoint: z.string().url().optional(),
    s3Region: z.string().min(1).default('us-east-1'),
    /** S3 keys; unset: the AWS SDK's chain (IRSA web identity, instance role, profile). The secret: environment only. */
    s3AccessKeyId: z.string().min(1).optional(),
    s3SecretAccessKey: z.string().min(1).optional(),
    /** GitHub's REST API (GitHub Enterprise Server: https://HOST/api/v3). */
    githubApiUrl: z.string().url().default('https://api.github.com'),
    /** Token for GitHub deployments and statuses; a secret: only in the worker's memory, never in workflow history or logs. */
    githubToken: z.string().min(1).optional(),
    /** GitHub App id: with a private key, the worker authenticates as the App's installation (wins over the token; needed for check runs). */
    githubAppId: z.string().regex(/^\d+$/, 'a numeric App id').optional(),
    /** The App's private key, PEM; a secret like the token. */
    githubAppPrivateKey: z.string().includes('PRIVATE KEY', { message: 'a PEM private key' }).optional(),
    /** …or a file holding it (a mounted Kubernetes Secret). */
    githubAppPrivateKeyFile: z.string().min(1).optional(),
    /** Unset: the installation is looked up per repository. */
    githubAppInstallationId: z.coerce.number().int().positive().optional(),
    /** Seals Secrets in backups (AES-256-GCM): 32 bytes, base64. A secret: environment only. */
    backupKey: aesKey.optional(),
    /** Older backup keys, comma-separated, to restore backups they sealed. */
    backupPreviousKeys: z.string().default(''),
    /** Seals every workflow payload (AES-256-GCM): 32 bytes, base64; clients need the same key. A secret: environment only. */
    payloadKey: aesKey.optional(),
    /** Older payload keys, comma-separated, to read histories they sealed. */
    payloadPreviousKeys: z.string().default(''),
    /** Serve Prometheus metrics (the SDK's and the pipeline's) at http://<this>/metrics; unset: none. */
    metricsAddress: z
      .string()
      .regex(/^[^:\s]*:\d+$/, 'host:port')
      .optional(),
  })
  .superRefine((c, ctx) => {
    const hasKey = !!c.githubAppPrivateKey || !!c.githubAppPrivateKeyFile;
    if (!!c.githubAppId !== hasKey)
      ctx.addIssue({ code: 'custom', path: ['githubAppId'], message: 'GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or _FILE) go together' });
    if (!!c.s3AccessKeyId !== !!c.s3SecretAccessKey)
      ctx.addIssue({ code: 'custom', path: ['s3AccessKeyId'], message: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together' });
    if (!!c.temporalTlsCert !== !!c.temporalTlsKey) ctx.addIssue({ code: 'custom', path: ['temporalTlsCert'], message: TLS_PAIR_MESSAGE });
  });
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export const ENV_NAMES: Record<keyof WorkerConfig, string> = {
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalTls: TEMPORAL_TLS_ENV.tls,
  temporalTlsCert: TEMPORAL_TLS_ENV.certFile,
  temporalTlsKey: TEMPORAL_TLS_ENV.keyFile,
  temporalTlsCa: TEMPORAL_TLS_ENV.caFile,
  temporalTlsServerName: TEMPORAL_TLS_ENV.serverName,
  deploymentName: 'AUTOGLM_WORKER_DEPLOYMENT',
  buildId: 'AUTOGLM_BUILD_ID',
  namespace: 'TEMPORAL_NAMESPACE',
  taskQueue: 'AUTOGLM_TASK_QUEUE',
  kubeconfig: 'KUBECONFIG',
  workflowBundle: 'AUTOGLM_WORKFLOW_BUNDLE',
  shutdownGraceMs: 'AUTOGLM_SHUTDOWN_GRACE',
  maxActivities: 'AUTOGLM_MAX_ACTIVITIES',
  maxWorkflowTasks: 'AUTOGLM_MAX_WORKFLOW_TASKS',
  stickyCacheSize: 'AUTOGLM_STICKY_CACHE_SIZE',
  logLevel: 'LOG_LEVEL',
  insecureRegistries: 'AUTOGLM_INSECURE_REGISTRIES',
  sigstoreTrustedRoot: 'AUTOGLM_SIGSTORE_TRUSTED_ROOT',
  prometheusUrl: 'PROMETHEUS_URL',
  serviceUrl: 'AUTOGLM_SERVICE_URL',
  serviceHost: 'AUTOGLM_SERVICE_HOST',
  gatewayUrl: 'AUTOGLM_GATEWAY_URL',
  s3Endpoint: 'AUTOGLM_S3_ENDPOINT',
  s3Region: 'AWS_REGION',
  s3AccessKeyId: 'AWS_ACCESS_KEY_ID',
  s3SecretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  githubApiUrl: 'GITHUB_API_URL',
  githubToken: 'GITHUB_TOKEN',
  githubAppId: 'GITHUB_APP_ID',
  githubAppPrivateKey: 'GITHUB_APP_PRIVATE_KEY',
  githubAppPrivateKeyFile: 'GITHUB_APP_PRIVATE_KEY_FILE',
  githubAppInstallationId: 'GITHUB_APP_INSTALLATION_ID',
  backupKey: 'AUTOGLM_BACKUP_KEY',
  backupPreviousKeys: 'AUTOGLM_BACKUP_PREVIOUS_KEYS',
  payloadKey: 'AUTOGLM_PAYLOAD_KEY',
  payloadPreviousKeys: 'AUTOGLM_PAYLOAD_PREVIOUS_KEYS',
  metricsAddress: 'AUTOGLM_METRICS_ADDRESS',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flags win over the environment; anything invalid is refused with every problem named. */
export function loadWorkerConfig(flags: Partial<Record<keyof WorkerConfig, string>>, env: NodeJS.ProcessEnv): WorkerConfig {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(ENV_NAMES) as (keyof WorkerConfig)[]) {
    const value = flags[key] ?? env[ENV_NAMES[key]];
    raw[key] = value === '' ? undefined : value;
  }
  const parsed = WorkerConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid worker configuration: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The connection's TLS option from the config (files read now). */
export const workerTemporalTls = (c: WorkerConfig) =>
  temporalTls({
    tls: c.temporalTls,
    certFile: c.temporalTlsCert,
    keyFile: c.temporalTlsKey,
    caFile: c.temporalTlsCa,
    serverName: c.temporalTlsServerName,
  });
