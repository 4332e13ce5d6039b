/** What the demo and its scenarios run on: the local stack, an in-process worker and a client. */
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { connectKube, type Kube } from '../activities/kubernetes/client';
import { stackUp } from '../infra/dev/stack/stack';
import { stackEnv } from '../infra/dev/stack/state';
import { JsonLogger } from '../worker/logger';
import { workerWithClient } from '../worker/in-process';

export type DemoSession = Awaited<ReturnType<typeof openDemoSession>>;

/** Brings the stack up (its own, so nothing on a developer's stack takes its GPUs) and a worker on a fresh task queue. */
export async function openDemoSession(stackName: string) {
  const stack = await stackUp(stackName);
  Runtime.install({ logger: new JsonLogger('ERROR') }); // the story on stdout; the SDK only for errors
  const taskQueue = `demo-${randomBytes(3).toString('hex')}`;
  // Seals Secrets in a drill's backup; a demo key unless one is set.
  const { worker, client, close } = await workerWithClient(
    { taskQueue },
    { AUTOGLM_BACKUP_KEY: randomBytes(32).toString('base64'), ...process.env, ...stackEnv(stack) },
  );
  return { stack, worker, client, close, taskQueue, kube: connectKube(stack.kubernetes!.kubeconfig) };
}

/** Marks the namespaces the demo and its scenarios create, so the next run can clear them. */
const DEMO_LABEL = 'autoglm.dev/demo';

/**
 * Starts `name` empty, after deleting every namespace an earlier story or scenario left on this
 * stack (their services would hold the GPU pools and change what the next run sees).
 */
export async function freshNamespace(kube: Kube, name: string): Promise<void> {
  const earlier = await kube.core.listNamespace({ labelSelector: DEMO_LABEL });
  const doomed = new Set([name, ...earlier.items.map((ns) => ns.metadata!.name!)]);
  for (const ns of doomed) await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
  for (const ns of doomed)
    while (
      await kube.core.readNamespace({ name: ns }).then(
        () => true,
        () => false,
      )
    )
      await new Promise((r) => setTimeout(r, 250));
  await kube.core.createNamespace({ body: { metadata: { name, labels: { [DEMO_LABEL]: 'true' } } } });
}
