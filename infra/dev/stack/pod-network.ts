/**
 * The local stack's pod network. Kubernetes refuses loopback addresses in EndpointSlices, so kwok
 * gives pods addresses from 198.18.0.0/16 (RFC 2544's benchmarking block, never routed), and the
 * stack maps each onto the loopback block, 198.18.a.b ↔ 127.64.a.b, as a node's network would
 * route a pod IP to its pod: the simulated server listens on the mapped address, and every client
 * (the router, the kubelet stand-in, Prometheus) connects to it there. Nothing is ever sent to an
 * address outside 127.0.0.0/8: an address that does not map is not used.
 */
export const POD_CIDR = '198.18.0.0/16';

const POD_IP = /^198\.18\.(\d{1,3})\.(\d{1,3})$/;

/** The loopback address a pod IP is reached at, or undefined when it is not on the stack's pod network. */
export function loopbackOf(podIp: string | undefined): string | undefined {
  const m = podIp ? POD_IP.exec(podIp) : null;
  return m ? `127.64.${m[1]}.${m[2]}` : undefined;
}

/** The same mapping as Prometheus relabelling of `__address__` (pod IP:port), then only loopback targets kept. */
export const PROMETHEUS_POD_NETWORK_RELABEL = [
  {
    source_labels: ['__address__'],
    regex: '198\\.18\\.(\\d+)\\.(\\d+):(\\d+)',
    replacement: '127.64.$1.$2:$3',
    target_label: '__address__',
  },
  { source_labels: ['__address__'], regex: '127\\..+', action: 'keep' },
];
