/** The router of each traffic kind, by `rollout.traffic.kind` (beside core/traffic's registry of their pure parts). */
import type { ServiceSpec } from '../../core/service-spec';
import type { TrafficKindName, TrafficOf } from '../../core/traffic/kind';
import type { Kube } from '../kubernetes/client';
import { gatewayApiRouter } from './gateway-api';
import { replicaRatioRouter } from './replica-ratio';
import type { RouterFactory, TrafficRouter } from './router';

const ROUTERS: { readonly [K in TrafficKindName]: RouterFactory<K> } = {
  'replica-ratio': replicaRatioRouter,
  'gateway-api': gatewayApiRouter,
};

export function routerFor(spec: ServiceSpec, kube: Kube): TrafficRouter {
  const traffic = spec.rollout.traffic;
  return (ROUTERS[traffic.kind] as RouterFactory<TrafficKindName>)(kube, spec, traffic as TrafficOf<TrafficKindName>);
}
