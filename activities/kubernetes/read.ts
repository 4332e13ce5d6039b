/** Reading objects back as a person would write them: what a rollback re-applies and a traffic kind reads its split from. */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject, ObjectRef } from '../../core/manifests';
import type { Kube } from './client';
import { classifyKubeError, statusOf } from './errors';
import { toWire } from './wire';

/** Keeps what a person or the pipeline declared; drops what the server manages. */
export function cleanForApply(obj: KubernetesObject & { spec?: unknown }): KubeObject {
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  delete annotations['deployment.kubernetes.io/revision'];
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const spec = obj.spec ? (structuredClone(obj.spec) as Record<string, unknown>) : undefined;
  if (obj.kind === 'Service' && spec) {
    // Allocated by the server; re-applying them is allowed but says nothing.
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'sessionAffinity', 'type'])
      delete spec[k];
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

/**
 * The objects that exist among `refs`, in their order, in wire form and cleaned for apply. One
 * that is missing (or whose kind the cluster does not serve: no CRD) is left out.
 */
export async function readObjects(kube: Kube, refs: readonly ObjectRef[]): Promise<KubeObject[]> {
  const found: KubeObject[] = [];
  for (const ref of refs) {
    try {
      const obj = await kube.objects.read({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      });
      found.push(cleanForApply(toWire({ ...obj, apiVersion: ref.apiVersion, kind: ref.kind }) as KubernetesObject & { spec?: unknown }));
    } catch (err) {
      if (statusOf(err) === 404) continue;
      throw classifyKubeError(err, `reading ${ref.kind} ${ref.namespace}/${ref.name}`);
    }
  }
  return found;
}
