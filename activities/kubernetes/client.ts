import {
  AppsV1Api,
  CoreV1Api,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { retryAfterWaitMs } from '../../core/retry-after';

/** The Kubernetes clients the activities use, built once per worker from a kubeconfig (or in-cluster). */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

/**
 * client-node answers a 429 or a 503 with Retry-After to its caller at once; client-go waits and
 * tries again. Under API Priority and Fairness throttling every multi-request activity would then
 * fail its attempt, so the worker's clients wait as client-go does (core/retry-after.ts).
 */
class RetryAfterHttpLibrary {
  private readonly inner = new IsomorphicFetchHttpLibrary();
  async send(request: RequestContext): Promise<ResponseContext> {
    for (let retries = 0; ; retries++) {
      const response = await this.inner.send(request).toPromise();
      const wait = retryAfterWaitMs(response.httpStatusCode, response.headers['retry-after'], retries);
      if (wait === undefined || request.getSignal()?.aborted) return response;
      await response.body.text().catch(() => undefined); // release the connection
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The worker's KubeConfig: every API client it makes waits out Retry-After answers. */
class WorkerKubeConfig extends KubeConfig {
  override makeApiClient<T>(apiClientType: new (config: ReturnType<typeof createConfiguration>) => T): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: wrapHttpLibrary(new RetryAfterHttpLibrary()),
      }),
    );
  }
}

/**
 * Counts every request the clients make (API calls and watches): for benchmarks and metrics.
 * client-node authenticates each API call with applySecurityAuthentication and each watch with
 * applyToFetchOptions, so counting those counts requests.
 */
class CountingKubeConfig extends WorkerKubeConfig {
  constructor(private readonly onRequest: () => void) {
    super();
  }
  override async applySecurityAuthentication(...args: Parameters<KubeConfig['applySecurityAuthentication']>) {
    this.onRequest();
    return super.applySecurityAuthentication(...args);
  }
  override async applyToFetchOptions(...args: Parameters<KubeConfig['applyToFetchOptions']>) {
    this.onRequest();
    return super.applyToFetchOptions(...args);
  }
}

export function connectKube(kubeconfigPath?: string, opts: { onRequest?: () => void } = {}): Kube {
  const config = opts.onRequest ? new CountingKubeConfig(opts.onRequest) : new WorkerKubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, or the in-cluster service account
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}
