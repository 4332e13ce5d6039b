import { connectKube } from './kubernetes/client';
import { createKubernetesActivities } from './kubernetes';
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
}

/** Wires real clients into every activity group; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  const kube = connectKube(deps.kubeconfig, { onRequest: deps.onKubeRequest });
  return {
    ...createKubernetesActivities(kube),
    ...createTrafficActivities(kube),
    ...createSupplyChainActivities({
      insecureRegistries: deps.insecureRegistries ?? [],
      onRequest: deps.onRegistryRequest,
      ...(deps.sigstoreTrustedRoot ? { trustedRootPath: deps.sigstoreTrustedRoot } : {}),
    }),
  };
}
