/**
 * Traffic kind `gateway-api`: the backend weights of the service's Gateway API HTTPRoute, whose
 * backends are the stable and the canary Services. Weights are exact.
 */
import { z } from 'zod';
import { dnsLabel } from '../dns-label';
import { RouteCredentials } from '../key-ref';
import { FIELD_MANAGER, LABELS, renderService, serviceName, type KubeObject, type ServiceRole } from '../manifests';
import type { ServiceSpec } from '../service-spec';
import type { TrafficKind, TrafficOf } from './kind';
import { SERVICE_TYPE, serviceRefs, tracksOf } from './services';

/** Traffic follows the backend weights of a Gateway API HTTPRoute. */
export const GatewayApiTraffic = z.strictObject({
  kind: z.literal('gateway-api'),
  gateway: z.strictObject({ name: dnsLabel, namespace: dnsLabel.optional() }),
  hostnames: z.array(z.string().min(1)).default([]),
  /** Sent with load tests and golden prompts where the gateway's policy requires a token. */
  credentials: RouteCredentials.optional(),
});

const HTTP_ROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' } as const;

export function renderHttpRoute(spec: ServiceSpec, traffic: TrafficOf<'gateway-api'>, canaryWeight: number): KubeObject {
  const backend = (role: ServiceRole, weight: number) => ({
    group: '',
    kind: 'Service',
    name: serviceName(spec.service, role),
    port: 80,
    weight,
  });
  return {
    ...HTTP_ROUTE,
    metadata: { name: spec.service, namespace: spec.namespace, labels: { [LABELS.name]: spec.service, [LABELS.managedBy]: FIELD_MANAGER } },
    spec: {
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: traffic.gateway.name,
          namespace: traffic.gateway.namespace ?? spec.namespace,
        },
      ],
      hostnames: traffic.hostnames,
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [backend('stable', 100 - canaryWeight), backend('canary', canaryWeight)],
        },
      ],
    },
  };
}

interface RouteSpec {
  rules?: { backendRefs?: { name?: string; weight?: number }[] }[];
}

export const gatewayApi: TrafficKind<'gateway-api'> = {
  kind: 'gateway-api',
  exactWeights: true,
  objectTypes: [SERVICE_TYPE, HTTP_ROUTE],
  ownedObjects: (namespace, service) => [...serviceRefs(namespace, service), { ...HTTP_ROUTE, namespace, name: service }],
  render: (spec, traffic, t) => [
    renderService(spec, 'stable', t.stableRevision),
    renderService(spec, 'canary', t.canaryRevision),
    renderHttpRoute(spec, traffic, Math.max(0, Math.min(100, Math.round(t.canaryWeight)))),
  ],
  settled: (spec, traffic, revision) => [
    renderService(spec, 'stable', revision),
    renderService(spec, 'main', revision),
    renderHttpRoute(spec, traffic, 0),
  ],
  splitOf(objects, service) {
    const route = objects.find((o) => o.kind === HTTP_ROUTE.kind && o.metadata.name === service);
    if (!route) return undefined;
    const backends = (route.spec as RouteSpec | undefined)?.rules?.flatMap((r) => r.backendRefs ?? []) ?? [];
    const weight = (role: ServiceRole) =>
      backends.filter((b) => b.name === serviceName(service, role)).reduce((n, b) => n + (b.weight ?? 1), 0);
    const total = weight('stable') + weight('canary');
    return { ...tracksOf(objects, service), ...(total > 0 ? { canaryWeight: Math.round((100 * weight('canary')) / total) } : {}) };
  },
  ingressNamespaces: (spec, traffic) => [traffic.gateway.namespace ?? spec.namespace],
  hostnames: (traffic) => traffic.hostnames,
  credentials: (traffic) => traffic.credentials,
  // A restored copy must not take production traffic: its route is detached from every gateway.
  isolated: (object) => (object.kind === HTTP_ROUTE.kind ? { ...object, spec: { ...(object.spec as object), parentRefs: [] } } : object),
};
