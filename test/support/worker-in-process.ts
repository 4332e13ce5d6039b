import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { JsonLogger } from '../../worker/logger';
import { loadWorkerConfig } from '../../worker/config';
import { createWorker } from '../../worker/worker';
import { testStack, testStackEnv } from './stack';

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
  const config = loadWorkerConfig({ taskQueue, shutdownGraceMs: '2s' }, { ...process.env, ...testStackEnv(), ...envOverrides });
  const { worker, connection: workerConnection } = await createWorker(config);
  const running = worker.run();
  const connection = await Connection.connect({ address: testStack().temporal.address });
  return {
    client: new Client({ connection }),
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    },
  };
}
