/** Serves the receiver over HTTP, or HTTPS when given a certificate and key. */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createReceiver, type ReceiverDeps } from './receiver';
import type { ReceiverConfig } from './config';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
}

export interface RunningReceiver {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startReceiver(config: ReceiverConfig, deps: ReceiverDeps, listen: ListenOptions): Promise<RunningReceiver> {
  const handler = createReceiver(config, deps);
  const server = listen.tls
    ? createHttpsServer({ cert: readFileSync(listen.tls.certFile), key: readFileSync(listen.tls.keyFile) }, handler)
    : createHttpServer(handler);
  // GitHub gives up on a delivery after 10 s; a slow client must not hold a socket longer.
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `${listen.tls ? 'https' : 'http'}://${host}:${port}${config.path}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
