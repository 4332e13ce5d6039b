import { Client, Connection } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { dataConverterFromEnv } from '../security/payload-codec';
import { TemporalTlsError, temporalTlsFromEnv } from '../security/temporal-tls';
import { CliError, EXIT } from './exit-codes';

export interface TemporalFlags {
  temporalAddress?: string;
  namespace?: string;
  taskQueue?: string;
}

export async function withClient<T>(flags: TemporalFlags, fn: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const address = flags.temporalAddress ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  let connection: Connection;
  let tls;
  try {
    tls = temporalTlsFromEnv();
  } catch (err) {
    if (err instanceof TemporalTlsError) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s', ...(tls ? { tls } : {}) });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address}: ${(err as Error).message}`, EXIT.unavailable);
  }
  try {
    const dataConverter = dataConverterFromEnv(); // the worker's key: payloads sealed alike
    const client = new Client({
      connection,
      namespace: flags.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
      ...(dataConverter ? { dataConverter } : {}),
    });
    return await fn(client, flags.taskQueue ?? process.env.AUTOGLM_TASK_QUEUE ?? DEFAULT_TASK_QUEUE);
  } finally {
    await connection.close();
  }
}
