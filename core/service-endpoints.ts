/**
 * Whether a Service's EndpointSlices have caught up with its selector: the endpoint controller
 * updates them some time after a selector changes, and until then traffic (golden prompts, load
 * tests, the gateway) would still reach the pods selected before. Pure.
 */
export interface SliceEndpointView {
  pod: string;
  ready: boolean;
  /** A terminating pod's endpoint stays listed through its grace period but gets no new connections. */
  terminating: boolean;
}

/**
 * Caught up: every endpoint is a pod the selector selects now, and every Ready selected pod is a
 * ready endpoint. Returns what is still wrong, or undefined.
 */
export function endpointsLag(
  endpoints: readonly SliceEndpointView[],
  selectedReadyPods: ReadonlySet<string>,
  selectedPods: ReadonlySet<string>,
): string | undefined {
  const stale = endpoints.filter((e) => !e.terminating && !selectedPods.has(e.pod)).map((e) => e.pod);
  if (stale.length > 0) return `still lists ${stale.join(', ')}`;
  const listed = new Set(endpoints.filter((e) => e.ready && !e.terminating).map((e) => e.pod));
  const missing = [...selectedReadyPods].filter((p) => !listed.has(p));
  return missing.length > 0 ? `does not list ${missing.join(', ')} yet` : undefined;
}
