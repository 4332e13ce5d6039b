import type { ServiceSpec } from '../../core/service-spec';
import type { Kube } from '../kubernetes/client';
import { routerFor, type TrafficTarget } from './router';

/** Activities that move traffic between the stable and the canary, by the spec's router. */
export const createTrafficActivities = (kube: Kube) => ({
  async setTrafficWeights(input: { spec: ServiceSpec; target: TrafficTarget }): Promise<void> {
    await routerFor(input.spec, kube).setWeights(input.spec, input.target);
  },
  async settleTraffic(input: { spec: ServiceSpec; revision: string }): Promise<void> {
    await routerFor(input.spec, kube).settle(input.spec, input.revision);
  },
});

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
