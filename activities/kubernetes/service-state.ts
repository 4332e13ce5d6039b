import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import { LABELS, serviceName, type KubeObject, type ServiceRole } from '../../core/manifests';
import { GPU_RESOURCE, parseGpuQuantity } from '../../core/gpu-capacity';
import type { Kube } from './client';
import { classifyKubeError, statusOf } from './errors';

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

const ROLES: ServiceRole[] = ['main', 'stable', 'canary'];

/** Keeps what a person or the pipeline declared; drops what the server manages. */
export function cleanForApply(obj: KubernetesObject & { spec?: unknown }): KubeObject {
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  delete annotations['deployment.kubernetes.io/revision'];
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const spec = obj.spec ? structuredClone(obj.spec) as Record<string, unknown> : undefined;
  if (obj.kind === 'Service' && spec) {
    // Allocated by the server; re-applying them is allowed but says nothing.
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'sessionAffinity', 'type']) delete spec[k];
  }
  return {
    apiVersion: obj.apiVersion!,
    kind: obj.kind!,
    metadata: {
      name: obj.metadata!.name!,
      namespace: obj.metadata!.namespace!,
      ...(obj.metadata?.labels ? { labels: obj.metadata.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    ...(spec ? { spec } : {}),
  };
}

function toRevision(d: V1Deployment): RevisionState {
  const container = d.spec?.template.spec?.containers[0];
  return {
    deployment: d.metadata!.name!,
    revision: d.metadata?.labels?.[LABELS.revision] ?? d.metadata!.name!,
    version: d.metadata?.labels?.[LABELS.version] ?? 'unknown',
    image: container?.image ?? '',
    replicas: d.spec?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    gpusPerReplica: parseGpuQuantity(container?.resources?.limits?.[GPU_RESOURCE] ?? container?.resources?.requests?.[GPU_RESOURCE]),
  };
}

export async function readServiceState(kube: Kube, namespace: string, service: string): Promise<ServiceState> {
  try {
    const deployments = (await kube.apps.listNamespacedDeployment({ namespace, labelSelector: `${LABELS.name}=${service}` })).items;
    const services = new Map<ServiceRole, V1Service>();
    for (const role of ROLES) {
      const svc = await kube.core.readNamespacedService({ namespace, name: serviceName(service, role) }).catch((err: unknown) => {
        if (statusOf(err) === 404) return undefined;
        throw err;
      });
      if (svc) services.set(role, svc);
    }
    const route = await kube.objects
      .read({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: service, namespace } })
      .catch((err: unknown) => (statusOf(err) === 404 ? undefined : Promise.reject(err)));

    const revisions = deployments.map(toRevision).sort((a, b) => a.deployment.localeCompare(b.deployment));
    const selected = (role: ServiceRole) => services.get(role)?.spec?.selector?.[LABELS.revision];
    const stableRevision = selected('stable') ?? selected('main') ?? (revisions.length === 1 ? revisions[0]!.revision : undefined);
    const snapshot = [
      ...deployments.map((d) => cleanForApply({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })),
      ...[...services.values()].map((s) => cleanForApply({ ...s, apiVersion: 'v1', kind: 'Service' })),
      ...(route ? [cleanForApply(route as KubernetesObject & { spec?: unknown })] : []),
    ];
    return { namespace, service, revisions, ...(stableRevision ? { stableRevision } : {}), snapshot };
  } catch (err) {
    throw classifyKubeError(err, `reading the state of ${namespace}/${service}`);
  }
}
