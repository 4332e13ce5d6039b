import { Client, Connection } from '@temporalio/client';
import type { ActivityDeps } from '../activities';
import { payloadDataConverter } from '../security/payload-codec';
import { loadWorkerConfig, workerTemporalTls, type WorkerConfig } from './config';
import { createWorker } from './worker';

/**
 * The project's worker (wired as worker/main.ts wires it) and a client beside it with the same
 * data converter, in this process: for tests, benchmarks and the demo. The caller runs the worker.
 */
export async function workerWithClient(
  flags: Partial<Record<keyof WorkerConfig, string>>,
  env: NodeJS.ProcessEnv,
  deps: Omit<ActivityDeps, 'kubeconfig'> = {},
) {
  const config = loadWorkerConfig(flags, env);
  const { worker, connection: workerConnection } = await createWorker(config, deps);
  const tls = workerTemporalTls(config);
  const connection = await Connection.connect({ address: config.temporalAddress, ...(tls ? { tls } : {}) });
  const dataConverter = payloadDataConverter(config.payloadKey, config.payloadPreviousKeys);
  return {
    config,
    worker,
    client: new Client({ connection, namespace: config.namespace, ...(dataConverter ? { dataConverter } : {}) }),
    /** Closes both connections (after the worker has stopped). */
    close: async () => {
      await workerConnection.close();
      await connection.close();
    },
  };
}
