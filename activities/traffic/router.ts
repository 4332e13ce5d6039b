import { assertNever } from '../../core/assert-never';
import type { ServiceSpec } from '../../core/service-spec';
import type { Kube } from '../kubernetes/client';
import { GatewayApiRouter } from './gateway-api';
import { ReplicaRatioRouter } from './replica-ratio';

export interface TrafficTarget {
  stableRevision: string;
  canaryRevision: string;
  /** Percent of requests to the canary. */
  canaryWeight: number;
}

/**
 * All the pipeline knows about moving traffic. Each call states the desired split (not a
 * change), so a retried activity does no harm.
 */
export interface TrafficRouter {
  readonly kind: ServiceSpec['rollout']['traffic']['kind'];
  setWeights(spec: ServiceSpec, target: TrafficTarget): Promise<void>;
  /** After promotion: every Service and route points at `revision` alone. */
  settle(spec: ServiceSpec, revision: string): Promise<void>;
}

export function routerFor(spec: ServiceSpec, kube: Kube): TrafficRouter {
  const traffic = spec.rollout.traffic;
  switch (traffic.kind) {
    case 'replica-ratio':
      return new ReplicaRatioRouter(kube);
    case 'gateway-api':
      return new GatewayApiRouter(kube, traffic);
    default:
      return assertNever(traffic);
  }
}
