import type { V1Deployment } from '@kubernetes/client-node';
import { LABELS, type KubeObject } from '../../core/manifests';
import { currentSplit, trafficObjectRefs } from '../../core/traffic';
import { GPU_RESOURCE, parseGpuQuantity } from '../../core/gpu-capacity';
import type { Kube } from './client';
import { classifyKubeError } from './errors';
import { cleanForApply, readObjects } from './read';

export interface RevisionState {
  deployment: string;
  revision: string;
  version: string;
  image: string;
  replicas: number;
  readyReplicas: number;
  gpusPerReplica: number;
}

/** The service as it is before a release touches it: enough to plan, and to restore it exactly. */
export interface ServiceState {
  namespace: string;
  service: string;
  revisions: RevisionState[];
  /** The revision the stable Service (or, before any release by us, the main Service) selects. */
  stableRevision?: string;
  /** The objects to re-apply on rollback, cleaned of server-managed fields. */
  snapshot: KubeObject[];
}

function toRevision(d: V1Deployment, gpuResource: string): RevisionState {
  const container = d.spec?.template.spec?.containers[0];
  return {
    deployment: d.metadata!.name!,
    revision: d.metadata?.labels?.[LABELS.revision] ?? d.metadata!.name!,
    version: d.metadata?.labels?.[LABELS.version] ?? 'unknown',
    image: container?.image ?? '',
    replicas: d.spec?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    gpusPerReplica: parseGpuQuantity(container?.resources?.limits?.[gpuResource] ?? container?.resources?.requests?.[gpuResource]),
  };
}

/** `gpuResource`: the extended resource the service's pods request (its spec's gpu.resource). */
export async function readServiceState(kube: Kube, namespace: string, service: string, gpuResource = GPU_RESOURCE): Promise<ServiceState> {
  let deployments: V1Deployment[];
  try {
    deployments = (await kube.apps.listNamespacedDeployment({ namespace, labelSelector: `${LABELS.name}=${service}` })).items;
  } catch (err) {
    throw classifyKubeError(err, `reading the state of ${namespace}/${service}`);
  }
  // Whatever kind of traffic the last release used: every traffic kind's objects are read back.
  const traffic = await readObjects(kube, trafficObjectRefs(namespace, service));
  const revisions = deployments.map((d) => toRevision(d, gpuResource)).sort((a, b) => a.deployment.localeCompare(b.deployment));
  const stableRevision = currentSplit(traffic, service)?.stableRevision ?? (revisions.length === 1 ? revisions[0]!.revision : undefined);
  const snapshot = [...deployments.map((d) => cleanForApply({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })), ...traffic];
  return { namespace, service, revisions, ...(stableRevision ? { stableRevision } : {}), snapshot };
}
