import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

/** The Kubernetes clients the activities use, built once per worker from a kubeconfig (or in-cluster). */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  objects: KubernetesObjectApi;
}

/**
 * Counts every request the clients make (API calls and watches): for benchmarks and metrics.
 * client-node authenticates each API call with applySecurityAuthentication and each watch with
 * applyToFetchOptions, so counting those counts requests.
 */
class CountingKubeConfig extends KubeConfig {
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
  const config = opts.onRequest ? new CountingKubeConfig(opts.onRequest) : new KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, or the in-cluster service account
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}
