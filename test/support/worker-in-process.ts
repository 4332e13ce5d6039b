import { workerWithClient } from '../../worker/in-process';
import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { JsonLogger } from '../../worker/logger';
import { testStackEnv } from './stack';

export interface TestWorker {
  client: Client;
  taskQueue: string;
  stop: () => Promise<void>;
}

/**
 * The project's worker (same wiring as worker/main.ts) inside the test process, on its own task
 * queue, plus a client. End-to-end tests start workflows through it.
 */
export async function startTestWorker(prefix: string, envOverrides: Record<string, string> = {}): Promise<TestWorker> {
  try {
    Runtime.install({ logger: new JsonLogger('WARN') });
  } catch {
    // already installed in this process
  }
  const taskQueue = `${prefix}-${randomBytes(3).toString('hex')}`;
  const { worker, client, close } = await workerWithClient(
    { taskQueue, shutdownGraceMs: '2s' },
    { ...process.env, ...testStackEnv(), ...envOverrides },
  );
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    client,
    taskQueue,
    // Once: a test may stop its worker early (to show what works without one) before afterAll does.
    stop: () =>
      (stopped ??= (async () => {
        worker.shutdown();
        await running;
        await close();
      })()),
  };
}
