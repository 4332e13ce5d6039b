/**
 * All the pipeline knows about moving traffic. Each call states the desired split (not a
 * change), so a retried activity does no harm.
 */
import type { ServiceSpec } from '../../core/service-spec';
import type { TrafficKind, TrafficKindName, TrafficOf, TrafficSplit, TrafficTarget } from '../../core/traffic/kind';
import type { KubeObject } from '../../core/manifests';
import { applyObjects } from '../kubernetes/apply';
import type { Kube } from '../kubernetes/client';
import { waitForServiceEndpoints } from '../kubernetes/endpoints';
import { readObjects } from '../kubernetes/read';

export interface TrafficRouter {
  setWeights(target: TrafficTarget): Promise<void>;
  /** After promotion: every Service and route points at `revision` alone. */
  settle(revision: string): Promise<void>;
  /** The split as the cluster has it now (undefined: none of the kind's objects exist). */
  readSplit(): Promise<TrafficSplit | undefined>;
}

/** Makes the router of one traffic kind for one service's spec. */
export type RouterFactory<K extends TrafficKindName> = (kube: Kube, spec: ServiceSpec, traffic: TrafficOf<K>) => TrafficRouter;

/**
 * A router that applies what its kind renders (server-side apply) and reads back what it owns:
 * all a kind needs whose split is the state of its objects. A kind with more to do (wait for a
 * controller to accept a route, ask an endpoint picker) wraps or replaces it in its own file.
 */
export class ObjectRouter<K extends TrafficKindName> implements TrafficRouter {
  constructor(
    private readonly kube: Kube,
    private readonly spec: ServiceSpec,
    private readonly traffic: TrafficOf<K>,
    private readonly kind: TrafficKind<K>,
  ) {}

  async setWeights(target: TrafficTarget): Promise<void> {
    await this.applyAndWait(this.kind.render(this.spec, this.traffic, target));
  }

  async settle(revision: string): Promise<void> {
    await this.applyAndWait(this.kind.settled(this.spec, this.traffic, revision));
  }

  /** Applies, then waits for each Service's EndpointSlices to follow its selector: only then has the traffic moved. */
  private async applyAndWait(objects: KubeObject[]): Promise<void> {
    await applyObjects(this.kube, objects);
    for (const o of objects) if (o.kind === 'Service') await waitForServiceEndpoints(this.kube, o.metadata.namespace, o.metadata.name);
  }

  async readSplit(): Promise<TrafficSplit | undefined> {
    const objects = await readObjects(this.kube, this.kind.ownedObjects(this.spec.namespace, this.spec.service));
    return this.kind.splitOf(objects, this.spec.service);
  }
}
