import { createBackupActivities } from './backup';
import { createProtectionActivities } from './backup/protection';
import { createRestorePlanActivities } from './backup/restore-plan';
import { NO_PROTECTION_METER, type ProtectionMeter } from './backup/protection-meter';
import type { S3Connection } from './backup/s3-store';
import type { BackupKey } from './backup/secrets';
import { connectKube } from './kubernetes/client';
import { createGitHubActivities } from './github';
import { createTemporalActivities, type TemporalActivityOptions } from './temporal';
import type { GitHubAppCredentials } from './github/client';
import { createKubernetesActivities } from './kubernetes';
import { readSecretKey } from './kubernetes/secret-key';
import { DEFAULT_SERVICE_URL } from './model-service/endpoint';
import { createModelServiceActivities } from './model-service';
import { createMetricsActivities } from './metrics';
import { createSupplyChainActivities } from './supplychain';
import { createTrafficActivities } from './traffic';

export interface ActivityDeps {
  kubeconfig?: string;
  /** Called on every Kubernetes API request (benchmarks, metrics). */
  onKubeRequest?: () => void;
  /** Registries reached over plain HTTP besides loopback. */
  insecureRegistries?: string[];
  onRegistryRequest?: () => void;
  /** sigstore trusted_root.json for keyless signatures. */
  sigstoreTrustedRoot?: string;
  /** Prometheus for canary analysis. */
  prometheusUrl?: string;
  onPrometheusRequest?: () => void;
  /** How model Services are reached: URL template ({service}, {namespace}, {port}) and optional Host header template. */
  serviceUrl?: string;
  serviceHost?: string;
  /** Where the Gateway API gateway is reached (load through a route's hostname). */
  gatewayUrl?: string;
  /** GitHub API base URL and credentials (an App's, else a token) for deployments, statuses and check runs. */
  githubApiUrl?: string;
  githubToken?: string;
  githubApp?: GitHubAppCredentials;
  /** The Temporal the worker serves (on-call rollbacks wait there for a preempted release). */
  temporal?: TemporalActivityOptions;
  /** Keys sealing Secrets in backups: the current one first, then older ones for older backups. */
  backupKeys?: BackupKey[];
  /** How `s3` backup stores are reached. */
  s3?: S3Connection;
  /** Where continuous protection reports RPO (the worker's metrics). */
  protectionMeter?: ProtectionMeter;
}

/** Wires real clients into every activity group; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  const kube = connectKube(deps.kubeconfig, { onRequest: deps.onKubeRequest });
  return {
    ...createKubernetesActivities(kube),
    ...createBackupActivities({ kube, keys: deps.backupKeys ?? [], ...(deps.s3 ? { connections: { s3: deps.s3 } } : {}) }),
    ...createRestorePlanActivities(deps.s3 ? { connections: { s3: deps.s3 } } : {}),
    ...createProtectionActivities({
      kube,
      meter: deps.protectionMeter ?? NO_PROTECTION_METER,
      ...(deps.s3 ? { connections: { s3: deps.s3 } } : {}),
    }),
    ...createTrafficActivities(kube),
    ...createSupplyChainActivities({
      insecureRegistries: deps.insecureRegistries ?? [],
      onRequest: deps.onRegistryRequest,
      ...(deps.sigstoreTrustedRoot ? { trustedRootPath: deps.sigstoreTrustedRoot } : {}),
    }),
    ...createMetricsActivities(
      deps.prometheusUrl
        ? {
            source: {
              kind: 'prometheus',
              url: deps.prometheusUrl,
              ...(deps.onPrometheusRequest ? { onRequest: deps.onPrometheusRequest } : {}),
            },
          }
        : {},
    ),
    ...createGitHubActivities({
      baseUrl: deps.githubApiUrl ?? 'https://api.github.com',
      ...(deps.githubToken ? { token: deps.githubToken } : {}),
      ...(deps.githubApp ? { app: deps.githubApp } : {}),
    }),
    ...createTemporalActivities(deps.temporal ?? { address: '127.0.0.1:7233', namespace: 'default' }),
    ...createModelServiceActivities(
      {
        urlTemplate: deps.serviceUrl ?? DEFAULT_SERVICE_URL,
        ...(deps.serviceHost ? { hostTemplate: deps.serviceHost } : {}),
        ...(deps.gatewayUrl ? { gatewayUrl: deps.gatewayUrl } : {}),
      },
      (namespace, ref) => readSecretKey(kube, namespace, ref),
    ),
  };
}
