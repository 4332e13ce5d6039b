import { DiscoveryV1Api } from '@kubernetes/client-node';
import { endpointsLag, type SliceEndpointView } from '../../core/service-endpoints';
import type { Kube } from './client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until a Service's EndpointSlices list exactly the pods its selector selects (Ready ones
 * ready), as kube-proxy and gateways will route; gives up after `timeoutMs` with the reason, so
 * the activity's retry waits again.
 */
export async function waitForServiceEndpoints(kube: Kube, namespace: string, service: string, timeoutMs = 20_000): Promise<void> {
  const discovery = kube.config.makeApiClient(DiscoveryV1Api);
  const deadline = Date.now() + timeoutMs;
  let lag: string | undefined = 'not read yet';
  while (Date.now() < deadline) {
    const svc = await kube.core.readNamespacedService({ namespace, name: service });
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return; // not selector-based: nothing to wait for
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const [pods, slices] = await Promise.all([
      kube.core.listNamespacedPod({ namespace, labelSelector }),
      discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` }),
    ]);
    const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = new Set(
      live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata!.name!),
    );
    const endpoints: SliceEndpointView[] = slices.items.flatMap((s) =>
      (s.endpoints ?? []).map((e) => ({
        pod: e.targetRef?.name ?? '',
        ready: e.conditions?.ready !== false,
        terminating: e.conditions?.terminating === true,
      })),
    );
    lag = endpointsLag(endpoints, ready, new Set(live.map((p) => p.metadata!.name!)));
    if (!lag) return;
    await sleep(250);
  }
  throw new Error(`Service ${namespace}/${service}: its EndpointSlices ${lag} after ${timeoutMs / 1000}s`);
}
