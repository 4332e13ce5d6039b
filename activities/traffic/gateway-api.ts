import { renderHttpRoute, renderService } from '../../core/manifests';
import type { ServiceSpec, TrafficSpec } from '../../core/service-spec';
import { applyObjects } from '../kubernetes/apply';
import type { Kube } from '../kubernetes/client';
import type { TrafficRouter, TrafficTarget } from './router';

/** Traffic split by the backend weights of the service's HTTPRoute (stable and canary Services). */
export class GatewayApiRouter implements TrafficRouter {
  readonly kind = 'gateway-api' as const;
  constructor(
    private readonly kube: Kube,
    private readonly traffic: Extract<TrafficSpec, { kind: 'gateway-api' }>,
  ) {}

  async setWeights(spec: ServiceSpec, t: TrafficTarget): Promise<void> {
    await applyObjects(this.kube, [
      renderService(spec, 'stable', t.stableRevision),
      renderService(spec, 'canary', t.canaryRevision),
      renderHttpRoute(spec, this.traffic, Math.max(0, Math.min(100, Math.round(t.canaryWeight)))),
    ]);
  }

  async settle(spec: ServiceSpec, revision: string): Promise<void> {
    await applyObjects(this.kube, [
      renderService(spec, 'stable', revision),
      renderService(spec, 'main', revision),
      renderHttpRoute(spec, this.traffic, 0),
    ]);
  }
}
