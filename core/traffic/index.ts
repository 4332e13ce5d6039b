/**
 * The traffic kinds, by `rollout.traffic.kind`. Adding a kind: its pure part beside these, its
 * activity in activities/traffic/, one line here and in that registry, and its schema variant in
 * the spec's `Traffic` union (docs/extending.md).
 */
import type { KubeObject, ObjectRef } from '../manifests';
import type { ServiceSpec } from '../service-spec';
import { gatewayApi } from './gateway-api';
import type { ObjectType, Restorable, TrafficKind, TrafficKindName, TrafficOf, TrafficSplit } from './kind';
import { replicaRatio } from './replica-ratio';

export const TRAFFIC_KINDS: { readonly [K in TrafficKindName]: TrafficKind<K> } = {
  'replica-ratio': replicaRatio,
  'gateway-api': gatewayApi,
};

const ALL: readonly TrafficKind[] = Object.values(TRAFFIC_KINDS) as TrafficKind[];

/** The spec's traffic kind with its settings, typed together. */
export function trafficOf(spec: ServiceSpec): { kind: TrafficKind; traffic: TrafficOf<TrafficKindName> } {
  const traffic = spec.rollout.traffic;
  return { kind: TRAFFIC_KINDS[traffic.kind] as TrafficKind, traffic };
}

const unique = <T>(items: T[], key: (t: T) => string): T[] => [...new Map(items.map((t) => [key(t), t])).values()];

/** Every type of object some traffic kind renders (a release may have used any kind before this one). */
export const TRAFFIC_OBJECT_TYPES: readonly ObjectType[] = unique(
  ALL.flatMap((k) => k.objectTypes),
  (t) => `${t.apiVersion}/${t.kind}`,
);

/** Every traffic object any kind renders for `service`, in the order they are re-applied. */
export const trafficObjectRefs = (namespace: string, service: string): ObjectRef[] =>
  unique(
    ALL.flatMap((k) => k.ownedObjects(namespace, service)),
    (r) => `${r.kind}/${r.name}`,
  );

export const isTrafficObject = (o: Pick<KubeObject, 'apiVersion' | 'kind'>) =>
  TRAFFIC_OBJECT_TYPES.some((t) => t.kind === o.kind && t.apiVersion === o.apiVersion);

/** Kinds that render more types of object first: their objects say more (a route over the Services every kind has). */
const MOST_SPECIFIC_FIRST = [...ALL].sort((a, b) => b.objectTypes.length - a.objectTypes.length);

/** The split the service's objects put in place, read by the most specific kind whose objects are there. */
export function currentSplit(objects: readonly KubeObject[], service: string): TrafficSplit | undefined {
  for (const kind of MOST_SPECIFIC_FIRST) {
    const split = kind.splitOf(objects, service);
    if (split) return split;
  }
  return undefined;
}

/** A restored copy's objects, each made safe by the kind that renders it. */
export const isolatedCopy = <T extends Restorable>(object: T): T => ALL.reduce((o, k) => k.isolated(o), object);
