/**
 * The service's Kubernetes objects for a backup (everything labelled with its name, of the kinds
 * a model service consists of), cleaned of what the API server owns, and rewritten into another
 * namespace for a restore.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { DR_ACCESS_LABEL, LABELS } from '../../core/manifests';
import { TRAFFIC_OBJECT_TYPES, isolatedCopy } from '../../core/traffic';
import type { ObjectType } from '../../core/traffic/kind';
import type { Kube } from './../kubernetes/client';
import { classifyKubeError, statusOf } from '../kubernetes/errors';
import { toWire } from '../kubernetes/wire';

/** What a model service consists of: its configuration, pods, policies, and every traffic kind's objects. */
export const BACKED_UP_KINDS: readonly ObjectType[] = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  ...TRAFFIC_OBJECT_TYPES,
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
];

export type BackedUpObject = KubernetesObject & Record<string, unknown>;

/**
 * The objects, and when one of them last changed: the newest managedFields time, leaving out
 * status updates (controllers write those all the time; they are not the service's data).
 */
export async function collectObjects(
  kube: Kube,
  namespace: string,
  service: string,
): Promise<{ objects: BackedUpObject[]; newestChange?: string }> {
  const out: BackedUpObject[] = [];
  let newest = 0;
  for (const { apiVersion, kind } of BACKED_UP_KINDS) {
    let items: KubernetesObject[];
    try {
      items = (
        await kube.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, `${LABELS.name}=${service}`)
      ).items;
    } catch (err) {
      if (statusOf(err) === 404) continue; // the kind is not served here (no Gateway API CRDs)
      throw classifyKubeError(err, `listing ${kind}s of ${namespace}/${service}`);
    }
    for (const item of items) {
      for (const f of item.metadata?.managedFields ?? [])
        if (f.subresource !== 'status' && f.time) newest = Math.max(newest, new Date(f.time).getTime());
      out.push(clean(toWire({ ...item, apiVersion, kind }) as BackedUpObject));
    }
  }
  return { objects: out, ...(newest ? { newestChange: new Date(newest).toISOString() } : {}) };
}

/** Only what a person would write: no status, ids, versions, managed fields or assigned IPs. */
function clean(o: BackedUpObject): BackedUpObject {
  const { status: _status, ...rest } = o;
  const m = o.metadata ?? {};
  const metadata = {
    name: m.name,
    namespace: m.namespace,
    ...(m.labels ? { labels: m.labels } : {}),
    ...(m.annotations ? { annotations: withoutLastApplied(m.annotations) } : {}),
  };
  const spec = (rest.spec ?? undefined) as Record<string, unknown> | undefined;
  if (o.kind === 'Service' && spec) {
    const { clusterIP: _ip, clusterIPs: _ips, ...s } = spec;
    return { ...rest, metadata, spec: s } as BackedUpObject;
  }
  return { ...rest, metadata } as BackedUpObject;
}

const withoutLastApplied = (a: Record<string, string>) =>
  Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'));

/**
 * Backups taken before objects were kept in wire form hold NetworkPolicies as the client's model
 * (`_from`); read as wire form, that rule would lose its sources and admit everyone.
 */
export function fromOlderBackup(o: BackedUpObject): BackedUpObject {
  return o.kind === 'NetworkPolicy' && JSON.stringify(o.spec ?? {}).includes('"_from"') ? toWire(o) : o;
}

/**
 * The same objects in another namespace, isolated: each traffic kind makes its objects take no
 * production traffic (routes are detached from their gateways), and only pods of that namespace and of
 * namespaces labelled DR_ACCESS_LABEL may reach it.
 */
export function intoIsolatedNamespace(objects: readonly BackedUpObject[], namespace: string): BackedUpObject[] {
  const moved = objects.map(fromOlderBackup).map((o) => isolatedCopy({ ...o, metadata: { ...o.metadata, namespace } }));
  const isolation: BackedUpObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'dr-drill-isolation', namespace },
    // Its own pods, and namespaces labelled for the drill's checks (where the worker runs).
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { [DR_ACCESS_LABEL]: 'true' } } }] }],
    },
  };
  return [isolation, ...moved];
}
