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
import { historyConfigMapName } from '../kubernetes/revisions';

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

/** The same objects, as they were, in `namespace` (a restore into production). */
export const inNamespace = (objects: readonly BackedUpObject[], namespace: string): BackedUpObject[] =>
  objects.map(fromOlderBackup).map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));

/** The newest revision's spec in the service's revision history (its ConfigMap), if it has one. */
export function newestRecordedSpec(objects: readonly BackedUpObject[], historyName: string): Record<string, unknown> | undefined {
  const history = objects.find((x) => x.kind === 'ConfigMap' && x.metadata?.name === historyName) as
    { data?: Record<string, string> } | undefined;
  const text = history?.data?.['history.json'];
  const records = text ? (JSON.parse(text) as { spec?: Record<string, unknown> }[]) : [];
  return records[0]?.spec;
}

/**
 * The objects with the model's weights loaded from `to` instead of `from`: the command lines of
 * the Deployments' containers, and the revision history's specs (what a later release renders).
 */
export function pointAtWeights(objects: readonly BackedUpObject[], historyName: string, from: string, to: string): BackedUpObject[] {
  const same = (a: unknown) => typeof a === 'string' && a.replace(/\/$/, '') === from.replace(/\/$/, '');
  const swap = (xs: unknown) => (Array.isArray(xs) ? xs.map((a) => (same(a) ? to : a)) : xs);
  return objects.map((o) => {
    if (o.kind === 'Deployment') {
      const spec = o.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
      const containers = spec.template.spec.containers.map((c) => ({ ...c, command: swap(c.command), args: swap(c.args) }));
      return { ...o, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } } } as BackedUpObject;
    }
    const data = (o as { data?: Record<string, string> }).data;
    if (o.kind === 'ConfigMap' && o.metadata?.name === historyName && data?.['history.json']) {
      const records = (JSON.parse(data['history.json']) as { spec?: { model?: { source?: { uri?: string } } } }[]).map((r) =>
        same(r.spec?.model?.source?.uri) ? { ...r, spec: { ...r.spec, model: { ...r.spec!.model, source: { uri: to } } } } : r,
      );
      return { ...o, data: { ...data, 'history.json': JSON.stringify(records) } } as BackedUpObject;
    }
    return o;
  });
}

/** The s3:// URI the service's newest revision loads its weights from, if they are in object storage. */
export function weightsSourceOf(objects: readonly BackedUpObject[], service: string): string | undefined {
  const spec = newestRecordedSpec(objects, historyConfigMapName(service)) as { model?: { source?: { uri?: string } } } | undefined;
  const uri = spec?.model?.source?.uri;
  return uri?.startsWith('s3://') ? uri : undefined;
}
