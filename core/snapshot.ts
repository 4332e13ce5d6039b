/**
 * What a rollback re-applies, and what it deletes, to leave a service exactly as the release
 * found it. Pure: the snapshot comes from the Kubernetes activity.
 */
import { deploymentName, serviceName, type KubeObject } from './manifests';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

const isTraffic = (o: KubeObject) => o.kind === 'Service' || o.kind === 'HTTPRoute';

/** Services and routes: re-applied first, so traffic goes back to the stable before anything scales. */
export const trafficObjects = (snapshot: KubeObject[]) => snapshot.filter(isTraffic);
export const deploymentObjects = (snapshot: KubeObject[]) => snapshot.filter((o) => o.kind === 'Deployment');

/** Objects a release of `revision` may create that were not there before it. */
export function createdByRelease(snapshot: KubeObject[], namespace: string, service: string, revision: string): { traffic: ObjectRef[]; deployments: ObjectRef[] } {
  const had = (kind: string, name: string) => snapshot.some((o) => o.kind === kind && o.metadata.name === name);
  const svc = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Service', namespace, name });
  const traffic: ObjectRef[] = [
    ...(['main', 'stable', 'canary'] as const).map((role) => svc(serviceName(service, role))).filter((r) => !had('Service', r.name)),
    ...(had('HTTPRoute', service) ? [] : [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace, name: service }]),
  ];
  const name = deploymentName(service, revision);
  const deployments = had('Deployment', name) ? [] : [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }];
  return { traffic, deployments };
}
