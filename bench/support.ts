import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { connectKube } from '../activities/kubernetes/client';
import type { ActivityDeps } from '../activities';
import { stackUp } from '../infra/dev/stack/stack';
import { stackEnv } from '../infra/dev/stack/state';
import { loadWorkerConfig } from '../worker/config';
import { JsonLogger } from '../worker/logger';
import { createWorker } from '../worker/worker';

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
  const config = loadWorkerConfig({ taskQueue }, { ...process.env, ...stackEnv(stack) });
  const { worker, connection: workerConnection } = await createWorker(config, deps);
  const connection = await Connection.connect({ address: stack.temporal!.address });
  return {
    stack, worker, taskQueue, client: new Client({ connection }), kube: connectKube(stack.kubernetes!.kubeconfig),
    close: async () => {
      await workerConnection.close();
      await connection.close();
    },
  };
}
