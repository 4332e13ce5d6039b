/**
 * A Service's endpoints as kube-proxy and gateways see them: from its EndpointSlices
 * (discovery.k8s.io/v1, labelled kubernetes.io/service-name), the addresses of endpoints that are
 * ready and not terminating, on the slice's port of the Service's target port name.
 */
import type { V1EndpointSlice } from '@kubernetes/client-node';

export interface Endpoint {
  /** address:port, also the key of requests in flight. */
  key: string;
  address: string;
  port: number;
  namespace: string;
  /** The pod behind it (targetRef). */
  pod: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function readyEndpoints(slices: Iterable<V1EndpointSlice>, namespace: string, service: string, portName = 'http'): Endpoint[] {
  const out: Endpoint[] = [];
  for (const slice of slices) {
    if (slice.metadata?.namespace !== namespace || slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== service) continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const e of slice.endpoints ?? []) {
      // ready is nil-means-true; serving-but-terminating endpoints get no new requests.
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
      for (const address of e.addresses) out.push({ key: `${address}:${port}`, address, port, namespace, pod: e.targetRef?.name ?? '' });
    }
  }
  return out;
}
