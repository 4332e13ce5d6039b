/**
 * What the pipeline knows of a traffic kind (how requests are split between the stable and the
 * canary revision): everything specific to it, in one place. Pure: the traffic activities apply
 * what it renders and read back what it owns.
 */
import type { RouteCredentials } from '../key-ref';
import type { KubeObject, ObjectRef } from '../manifests';
import type { ServiceSpec, TrafficSpec } from '../service-spec';

export type TrafficKindName = TrafficSpec['kind'];
export type TrafficOf<K extends TrafficKindName> = Extract<TrafficSpec, { kind: K }>;

export interface TrafficTarget {
  stableRevision: string;
  canaryRevision: string;
  /** Percent of requests to the canary. */
  canaryWeight: number;
}

/** A split as read back from the cluster's objects. */
export interface TrafficSplit {
  stableRevision?: string;
  canaryRevision?: string;
  /** Percent to the canary; unset where it follows the share of ready pods. */
  canaryWeight?: number;
}

/** An object as a backup holds it: any kind, perhaps with a spec. */
export interface Restorable {
  kind?: string;
  spec?: unknown;
}

export interface ObjectType {
  apiVersion: string;
  kind: string;
}

export interface TrafficKind<K extends TrafficKindName = TrafficKindName> {
  readonly kind: K;
  /**
   * true: the split is the weight asked for (a route's backend weights); false: it follows the
   * share of ready pods, so a step's weight is its replicas' share.
   */
  readonly exactWeights: boolean;
  /** The types of the objects it renders: read back for snapshots, kept in backups, allowed in the worker's RBAC. */
  readonly objectTypes: readonly ObjectType[];
  /** The objects of `service` it renders, by name: what a release may create and its rollback deletes. */
  ownedObjects(namespace: string, service: string): ObjectRef[];
  /** The objects that put `target`'s split in place (desired state: applying them twice does no harm). */
  render(spec: ServiceSpec, traffic: TrafficOf<K>, target: TrafficTarget): KubeObject[];
  /** After promotion: every object points at `revision` alone. */
  settled(spec: ServiceSpec, traffic: TrafficOf<K>, revision: string): KubeObject[];
  /** The split that `objects` (the service's, as read from the cluster) put in place, when they are this kind's. */
  splitOf(objects: readonly KubeObject[], service: string): TrafficSplit | undefined;
  /** Namespaces whose pods carry this kind's requests to the model pods (let in by the NetworkPolicy). */
  ingressNamespaces(spec: ServiceSpec, traffic: TrafficOf<K>): string[];
  /** Host names clients call the service by through this kind's gateway (load tests send the first). */
  hostnames(traffic: TrafficOf<K>): string[];
  /** What clients present to this kind's gateway, if it asks for credentials. */
  credentials(traffic: TrafficOf<K>): RouteCredentials | undefined;
  /** One of its objects made safe in a restored copy (no production traffic), or as it is. */
  isolated<T extends Restorable>(object: T): T;
}
