import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER, type KubeObject } from '../../core/manifests';
import type { ObjectRef } from '../../core/manifests';
import type { Kube } from './client';
import { classifyKubeError, statusOf } from './errors';
import { toModel } from './wire';

/**
 * Server-side apply with one field manager: the objects' desired state, so applying twice (an
 * activity retry) changes nothing. `force` takes over fields another manager set by hand.
 */
export async function applyObjects(kube: Kube, objects: KubeObject[], dryRun = false): Promise<void> {
  for (const obj of objects) {
    try {
      // dryRun: the API server validates and authorizes everything, and stores nothing.
      await kube.objects.patch(
        toModel(obj) as KubernetesObject,
        undefined,
        dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      throw classifyKubeError(err, `applying ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
    }
  }
}

/** Deletes objects; one that is already gone counts as deleted. */
export async function deleteObjects(kube: Kube, refs: ObjectRef[]): Promise<void> {
  for (const ref of refs) {
    try {
      await kube.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
    } catch (err) {
      if (statusOf(err) === 404) continue;
      throw classifyKubeError(err, `deleting ${ref.kind} ${ref.namespace}/${ref.name}`);
    }
  }
}

/** Sets a Deployment's replicas through its scale subresource (desired state: idempotent). */
export async function scaleDeployment(kube: Kube, namespace: string, name: string, replicas: number): Promise<void> {
  try {
    await kube.apps.patchNamespacedDeploymentScale(
      { name, namespace, body: { spec: { replicas } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw classifyKubeError(err, `scaling Deployment ${namespace}/${name} to ${replicas}`);
  }
}
