import { readFileSync } from 'node:fs';
import { aesKeysFrom } from '../security/aes-key';
import { payloadDataConverter } from '../security/payload-codec';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { protectionMeter } from '../activities/backup/protection-meter';
import { metricsSourceFor } from '../activities/metrics/sources';
import { workerTemporalTls, type WorkerConfig } from './config';
import { JsonLogger } from './logger';
import { keepAlive } from './keep-alive';

/** The longest the SDK holds back a heartbeat: the workflows' heartbeat timeouts are a few times this. */
const HEARTBEAT_THROTTLE = '2s';

/** The App credentials, the key read from its file when given as one (fails at start-up, not at the first report). */
function githubApp(config: WorkerConfig) {
  const privateKey = config.githubAppPrivateKey ?? readFileSync(config.githubAppPrivateKeyFile!, 'utf8');
  return {
    appId: config.githubAppId!,
    privateKey,
    ...(config.githubAppInstallationId ? { installationId: config.githubAppInstallationId } : {}),
  };
}

/**
 * Builds the worker: real clients wired into the activities, workflows from a prebuilt bundle
 * in production or bundled from source in development.
 */
export async function createWorker(
  config: WorkerConfig,
  deps: Omit<ActivityDeps, 'kubeconfig'> = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const tls = workerTemporalTls(config);
  const connection = await NativeConnection.connect({ address: config.temporalAddress, ...(tls ? { tls } : {}) });
  const dataConverter = payloadDataConverter(config.payloadKey, config.payloadPreviousKeys);
  // Requests to the API server, for API Priority and Fairness budgets and the scale bench.
  const kubeRequests = Runtime.instance().metricMeter.createCounter(
    'autoglm_kubernetes_requests',
    'requests',
    'Requests the activities made to the Kubernetes API (calls and watches)',
  );
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    // Releases run for hours (bakes, gates): each finishes on the build that started it.
    ...(config.buildId
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true,
            version: { deploymentName: config.deploymentName, buildId: config.buildId },
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }
      : {}),
    ...(dataConverter ? { dataConverter } : {}),
    taskQueue: config.taskQueue,
    ...(config.workflowBundle
      ? { workflowBundle: { codePath: config.workflowBundle } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      ...deps,
      onKubeRequest: () => {
        kubeRequests.add(1);
        deps.onKubeRequest?.();
      },
      kubeconfig: config.kubeconfig,
      insecureRegistries: config.insecureRegistries,
      serviceUrl: config.serviceUrl,
      ...(config.sigstoreTrustedRoot ? { sigstoreTrustedRoot: config.sigstoreTrustedRoot } : {}),
      ...(config.prometheusUrl ? { prometheusUrl: config.prometheusUrl } : {}),
      ...(config.serviceHost ? { serviceHost: config.serviceHost } : {}),
      ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
      githubApiUrl: config.githubApiUrl,
      temporal: {
        address: config.temporalAddress,
        namespace: config.namespace,
        ...(tls ? { tls } : {}),
        ...(dataConverter ? { dataConverter } : {}),
      },
      protectionMeter: protectionMeter(Runtime.instance().metricMeter),
      backupKeys: aesKeysFrom(config.backupKey, config.backupPreviousKeys),
      s3: {
        region: config.s3Region,
        ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
        ...(config.s3AccessKeyId && config.s3SecretAccessKey
          ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
          : {}),
      },
      ...(config.githubToken ? { githubToken: config.githubToken } : {}),
      ...(config.githubAppId ? { githubApp: githubApp(config) } : {}),
    }),
    shutdownGraceTime: config.shutdownGraceMs,
    ...(config.maxActivities !== undefined ? { maxConcurrentActivityTaskExecutions: config.maxActivities } : {}),
    ...(config.maxWorkflowTasks !== undefined ? { maxConcurrentWorkflowTaskExecutions: config.maxWorkflowTasks } : {}),
    ...(config.stickyCacheSize !== undefined ? { maxCachedWorkflows: config.stickyCacheSize } : {}),
    // Every activity heartbeats (worker/keep-alive.ts); sent at least this often, well inside the workflows' heartbeat timeouts.
    interceptors: { activity: [keepAlive()] },
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
  return { worker, connection };
}

/**
 * Runs until SIGTERM or SIGINT: the SDK then stops polling, lets in-flight activities finish within
 * the grace time, and `run()` resolves.
 */
export async function runWorker(config: WorkerConfig): Promise<void> {
  const logger = new JsonLogger(config.logLevel);
  Runtime.install({
    logger,
    shutdownSignals: ['SIGTERM', 'SIGINT'],
    // The SDK's metrics (temporal_*) and the pipeline's (autoglm_*, emitted by the workflows).
    ...(config.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsAddress } } } } : {}),
  });
  const { worker, connection } = await createWorker(config);
  if (config.prometheusUrl && !(await metricsSourceFor({ kind: 'prometheus', url: config.prometheusUrl }, 5_000).isOnline())) {
    // Not fatal: analyses see "no data" (which never passes) until it answers.
    logger.warn('the metrics source does not answer: canary analyses will hold until it does', { prometheusUrl: config.prometheusUrl });
  }
  logger.info('worker started', {
    taskQueue: config.taskQueue,
    namespace: config.namespace,
    temporalAddress: config.temporalAddress,
    ...(config.buildId ? { deployment: config.deploymentName, buildId: config.buildId } : {}),
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
    logger.info('worker stopped');
  }
}
