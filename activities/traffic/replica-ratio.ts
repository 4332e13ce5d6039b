import { renderService } from '../../core/manifests';
import type { ServiceSpec } from '../../core/service-spec';
import { applyObjects } from '../kubernetes/apply';
import type { Kube } from '../kubernetes/client';
import type { TrafficRouter, TrafficTarget } from './router';

/**
 * No gateway: the service's own Service spreads requests over its ready pods, so the canary's
 * share is its share of the pods. Weight 0 selects the stable revision alone, 100 the canary
 * alone, anything between both revisions.
 */
export class ReplicaRatioRouter implements TrafficRouter {
  readonly kind = 'replica-ratio' as const;
  constructor(private readonly kube: Kube) {}

  async setWeights(spec: ServiceSpec, t: TrafficTarget): Promise<void> {
    const revision = t.canaryWeight <= 0 ? t.stableRevision : t.canaryWeight >= 100 ? t.canaryRevision : undefined;
    // The per-track Services carry no traffic share; they let golden prompts and per-track checks reach one revision.
    await applyObjects(this.kube, [renderService(spec, 'stable', t.stableRevision), renderService(spec, 'canary', t.canaryRevision), renderService(spec, 'main', revision)]);
  }

  async settle(spec: ServiceSpec, revision: string): Promise<void> {
    await applyObjects(this.kube, [renderService(spec, 'stable', revision), renderService(spec, 'main', revision)]);
  }
}
