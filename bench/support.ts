import { workerWithClient } from '../worker/in-process';
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { connectKube } from '../activities/kubernetes/client';
import type { ActivityDeps } from '../activities';
import { stackUp } from '../infra/dev/stack/stack';
import { stackEnv } from '../infra/dev/stack/state';
import { JsonLogger } from '../worker/logger';

/** Shared by the benchmarks: figures printed as a table, the last line one JSON object. */
export { median } from '../core/median';
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function report(title: string, rows: [string, string | number][], json: Record<string, unknown>): void {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(58)} ${v}`);
  console.log(JSON.stringify(json));
}

/** The stack (AUTOGLM_STACK, default `bench`), the project's worker on its own task queue, a client and a Kubernetes client. */
export async function startBenchWorker(name: string, deps: Omit<ActivityDeps, 'kubeconfig'> = {}) {
  const stack = await stackUp(process.env.AUTOGLM_STACK ?? 'bench');
  try {
    Runtime.install({ logger: new JsonLogger('ERROR') });
  } catch {
    // already installed
  }
  const taskQueue = `bench-${name}-${randomBytes(3).toString('hex')}`;
  const { worker, client, close } = await workerWithClient({ taskQueue }, { ...process.env, ...stackEnv(stack) }, deps);
  return { stack, worker, taskQueue, client, kube: connectKube(stack.kubernetes!.kubeconfig), close };
}
