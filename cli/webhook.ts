import { JsonLogger } from '../worker/logger';
import { loadReceiverConfig, ReceiverConfigError } from '../webhook/config';
import { startReceiver } from '../webhook/server';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';

export interface ServeFlags extends TemporalFlags {
  config: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Runs the GitHub webhook receiver until SIGTERM or SIGINT. */
export async function webhookServe(flags: ServeFlags): Promise<number> {
  let config;
  try {
    config = loadReceiverConfig(flags.config, process.env.GITHUB_WEBHOOK_SECRET);
  } catch (err) {
    if (err instanceof ReceiverConfigError) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
  const m = /^(.*):(\d+)$/.exec(flags.listen);
  if (!m) throw new CliError(`--listen: "${flags.listen}" is not host:port`, EXIT.invalid);
  if (!!flags.tlsCert !== !!flags.tlsKey) throw new CliError('--tls-cert and --tls-key go together', EXIT.invalid);
  const logger = new JsonLogger('INFO');
  return withClient(flags, async (client, taskQueue) => {
    const receiver = await startReceiver(
      config,
      { client, taskQueue, logger },
      {
        host: m[1]!.replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        ...(flags.tlsCert && flags.tlsKey ? { tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey } } : {}),
      },
    );
    logger.info('webhook receiver listening', { url: receiver.url, repositories: [...config.repositories.keys()] });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await receiver.close();
    return EXIT.ok;
  });
}
