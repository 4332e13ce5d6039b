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

/** Deletes the namespace and waits until it is gone, so its pods no longer hold GPUs for the next test. */
export async function deleteNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
  await eventually(
    `namespace ${name} deleted`,
    async () =>
      (await kube.core.readNamespace({ name }).then(
        () => true,
        () => false,
      ))
        ? undefined
        : true,
    60_000,
  );
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
