/**
 * What a rollback re-applies, and what it deletes, to leave a service exactly as the release
 * found it. Pure: the snapshot comes from the Kubernetes activity; which objects carry traffic
 * is the traffic kinds' to say (core/traffic/).
 */
import { deploymentName, type KubeObject, type ObjectRef } from './manifests';
import { isTrafficObject, trafficObjectRefs } from './traffic';

/** Services and routes: re-applied first, so traffic goes back to the stable before anything scales. */
export const trafficObjects = (snapshot: KubeObject[]) => snapshot.filter(isTrafficObject);
export const deploymentObjects = (snapshot: KubeObject[]) => snapshot.filter((o) => o.kind === 'Deployment');

/** Objects a release of `revision` may create that were not there before it. */
export function createdByRelease(
  snapshot: KubeObject[],
  namespace: string,
  service: string,
  revision: string,
): { traffic: ObjectRef[]; deployments: ObjectRef[] } {
  const had = (kind: string, name: string) => snapshot.some((o) => o.kind === kind && o.metadata.name === name);
  const traffic = trafficObjectRefs(namespace, service).filter((r) => !had(r.kind, r.name));
  const name = deploymentName(service, revision);
  const deployments = had('Deployment', name) ? [] : [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }];
  return { traffic, deployments };
}
