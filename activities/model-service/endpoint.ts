/**
 * Where a Kubernetes Service of a model server is reached from the worker. In a cluster:
 * `http://{service}.{namespace}.svc:{port}`. Behind a gateway or proxy: its URL, with the Host
 * header naming the Service. Templates come from the worker's config.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

export interface EndpointConfig {
  /** URL template: {service}, {namespace}, {port}. */
  urlTemplate: string;
  /** Host header template, when the URL is a shared gateway. */
  hostTemplate?: string;
}

export const DEFAULT_SERVICE_URL = 'http://{service}.{namespace}.svc:{port}';

export interface ServiceEndpoint {
  url: URL;
  host?: string;
  /** Sent with every request (the route's credentials). */
  headers?: Record<string, string>;
}

const fill = (t: string, v: Record<string, string>) => t.replace(/\{(service|namespace|port)\}/g, (_, k: string) => v[k]!);

export function serviceEndpoint(cfg: EndpointConfig, service: string, namespace: string, port = 80): ServiceEndpoint {
  const vars = { service, namespace, port: String(port) };
  return { url: new URL(fill(cfg.urlTemplate, vars)), ...(cfg.hostTemplate ? { host: fill(cfg.hostTemplate, vars) } : {}) };
}

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 1024 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 1024 }) };

/** POSTs JSON to the endpoint; the response is handed over unread (streams are read by the caller). */
export function postJson(
  ep: ServiceEndpoint,
  path: string,
  body: unknown,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const payload = Buffer.from(JSON.stringify(body));
  const secure = ep.url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      {
        // Options rather than a URL: no URL parsing per request (load tests send thousands a second).
        protocol: ep.url.protocol,
        hostname: ep.url.hostname,
        port: ep.url.port || (secure ? 443 : 80),
        path: `${ep.url.pathname.replace(/\/$/, '')}${path}`,
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: {
          ...ep.headers,
          'content-type': 'application/json',
          'content-length': payload.length,
          ...(ep.host ? { host: ep.host } : {}),
        },
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
