import type { ServiceSpec } from '../../core/service-spec';
import type { TrafficSplit, TrafficTarget } from '../../core/traffic/kind';
import type { Kube } from '../kubernetes/client';
import { routerFor } from './registry';

/** Activities that move traffic between the stable and the canary, by the spec's traffic kind. */
export const createTrafficActivities = (kube: Kube) => ({
  async setTrafficWeights(input: { spec: ServiceSpec; target: TrafficTarget }): Promise<void> {
    await routerFor(input.spec, kube).setWeights(input.target);
  },
  async settleTraffic(input: { spec: ServiceSpec; revision: string }): Promise<void> {
    await routerFor(input.spec, kube).settle(input.revision);
  },
  /** The split the cluster has now, as the spec's traffic kind reads it. */
  async readTrafficSplit(input: { spec: ServiceSpec }): Promise<TrafficSplit | undefined> {
    return routerFor(input.spec, kube).readSplit();
  },
});

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
