import { Command, Option } from 'commander';
import { ConfigError, ENV_NAMES, loadWorkerConfig, type WorkerConfig } from './config';
import { runWorker } from './worker';

const program = new Command('autoglm-worker')
  .description('Runs the autoglm-deploy Temporal worker: every workflow and activity of the pipeline.')
  .showHelpAfterError();
const flag = (name: string, key: keyof WorkerConfig, help: string) =>
  program.addOption(new Option(`--${name} <value>`, `${help} (env ${ENV_NAMES[key]})`));
flag('temporal-address', 'temporalAddress', 'Temporal frontend host:port [127.0.0.1:7233]');
flag('temporal-tls-cert', 'temporalTlsCert', 'mTLS client certificate to Temporal (PEM file; with --temporal-tls-key)');
flag('temporal-tls-key', 'temporalTlsKey', 'its private key (PEM file)');
flag('temporal-tls-ca', 'temporalTlsCa', "the Temporal frontend's CA (PEM file) [the system's]");
flag('temporal-tls-server-name', 'temporalTlsServerName', "name the frontend's certificate must carry [the address's host]");
flag('namespace', 'namespace', 'Temporal namespace [default]');
flag('task-queue', 'taskQueue', 'task queue to poll [autoglm-deploy]');
flag(
  'build-id',
  'buildId',
  'Worker Versioning: this build (image tag, git sha); workflows stay pinned to the build that started them [unversioned]',
);
flag('deployment-name', 'deploymentName', 'Worker Deployment the build belongs to [autoglm-deploy]');
flag('kubeconfig', 'kubeconfig', 'kubeconfig file [$KUBECONFIG, ~/.kube/config or in-cluster]');
flag('workflow-bundle', 'workflowBundle', 'prebuilt workflow bundle [bundle the sources at start]');
flag('shutdown-grace', 'shutdownGraceMs', 'grace for in-flight activities after SIGTERM, e.g. 30s [30s]');
flag('log-level', 'logLevel', 'TRACE|DEBUG|INFO|WARN|ERROR [INFO]');
flag('max-activities', 'maxActivities', "activities run at once [the SDK's 100]");
flag('max-workflow-tasks', 'maxWorkflowTasks', "workflow tasks processed at once [the SDK's 40]");
flag('sticky-cache-size', 'stickyCacheSize', "workflows cached between tasks [the SDK's, from the heap size]");
flag('insecure-registries', 'insecureRegistries', 'registries reached over plain HTTP besides loopback, comma-separated');
flag(
  'sigstore-trusted-root',
  'sigstoreTrustedRoot',
  'sigstore trusted_root.json for keyless signatures [none: keyless policies are refused]',
);
flag('prometheus-url', 'prometheusUrl', 'Prometheus for canary analysis');
flag(
  'service-url',
  'serviceUrl',
  'how model Services are reached, template with {service} {namespace} {port} [http://{service}.{namespace}.svc:{port}]',
);
flag('service-host', 'serviceHost', 'Host header template when --service-url is a shared gateway, e.g. {service}.{namespace}');
flag('gateway-url', 'gatewayUrl', 'the Gateway API gateway, for load sent through a route hostname');
flag(
  's3-endpoint',
  's3Endpoint',
  'S3-compatible server for `s3` backup stores [AWS S3]; keys in env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
);
flag('s3-region', 's3Region', 'S3 region [us-east-1]');
flag('github-api-url', 'githubApiUrl', 'GitHub REST API [https://api.github.com]');
flag('metrics-address', 'metricsAddress', 'serve Prometheus metrics at http://HOST:PORT/metrics [none]');
flag('github-app-id', 'githubAppId', 'GitHub App id: report as the App (check runs need it; its key in env GITHUB_APP_PRIVATE_KEY)');
flag('github-app-private-key-file', 'githubAppPrivateKeyFile', "file holding the GitHub App's private key (PEM)");
flag('github-app-installation-id', 'githubAppInstallationId', 'the App installation [looked up per repository]');
// The token and the App key only from the environment or a file: a flag would show in the process list.
program.parse();

const o = program.opts<Record<string, string | undefined>>();
try {
  const config = loadWorkerConfig(
    {
      temporalAddress: o.temporalAddress,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      kubeconfig: o.kubeconfig,
      temporalTlsCert: o.temporalTlsCert,
      temporalTlsKey: o.temporalTlsKey,
      temporalTlsCa: o.temporalTlsCa,
      temporalTlsServerName: o.temporalTlsServerName,
      buildId: o.buildId,
      deploymentName: o.deploymentName,
      workflowBundle: o.workflowBundle,
      shutdownGraceMs: o.shutdownGrace,
      maxActivities: o.maxActivities,
      maxWorkflowTasks: o.maxWorkflowTasks,
      stickyCacheSize: o.stickyCacheSize,
      logLevel: o.logLevel,
      insecureRegistries: o.insecureRegistries,
      sigstoreTrustedRoot: o.sigstoreTrustedRoot,
      prometheusUrl: o.prometheusUrl,
      serviceUrl: o.serviceUrl,
      serviceHost: o.serviceHost,
      gatewayUrl: o.gatewayUrl,
      s3Endpoint: o.s3Endpoint,
      s3Region: o.s3Region,
      githubApiUrl: o.githubApiUrl,
      metricsAddress: o.metricsAddress,
      githubAppId: o.githubAppId,
      githubAppPrivateKeyFile: o.githubAppPrivateKeyFile,
      githubAppInstallationId: o.githubAppInstallationId,
    },
    process.env,
  );
  runWorker(config).then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'ERROR', message: `worker failed: ${err.message}` })}\n`,
      );
      process.exit(1);
    },
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`autoglm-worker: ${err.message}\n`);
  process.exit(2);
}
