import { randomBytes } from 'node:crypto';
import { connectKube, type Kube } from '../../activities/kubernetes/client';
import { testStack } from './stack';

export const testKube = (): Kube => connectKube(testStack().kubernetes.kubeconfig);

/** A fresh namespace per test file, so tests never see each other's objects. */
export async function createTestNamespace(kube: Kube, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name, labels: { 'autoglm.dev/test': 'true' } } } });
  return name;
}

/**
 * Deletes the namespace and waits until its pods are gone: they hold the GPUs the next test plans
 * with. The namespace controller's sweep of everything else (several seconds) goes on meanwhile;
 * a terminating namespace takes no new pods, so its pods are removed at once rather than after
 * their preStop and grace period.
 */
export async function deleteNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
  await kube.core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await eventually(
    `pods of namespace ${name} gone`,
    async () => ((await kube.core.listNamespacedPod({ namespace: name })).items.length === 0 ? true : undefined),
    60_000,
  );
}

/** Deletes every namespace with these labels (what earlier, killed runs left); resolves with how many. */
export async function deleteNamespacesLabelled(kube: Kube, labels: Record<string, string>): Promise<number> {
  const labelSelector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const left = (await kube.core.listNamespace({ labelSelector })).items;
  for (const ns of left) await kube.core.deleteNamespace({ name: ns.metadata!.name! }).catch(() => undefined);
  return left.length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Test-side polling for an observable outcome (never a timing assertion). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
