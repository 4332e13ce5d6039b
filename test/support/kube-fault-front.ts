/**
 * An HTTP-level fault front for kube-apiserver, for the answers a TCP fault proxy cannot give:
 * 429 with Retry-After (API priority and fairness), 500/503 (an apiserver or etcd in trouble) and
 * 409 Conflict. It terminates TLS with its own certificate (openssl), forwards every request to
 * the real API server with the stack's own credentials (watches stream through), and answers
 * chosen requests itself, as the API server does, with a `Status` body.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer, type RequestOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface FaultAnswer {
  code: 409 | 429 | 500 | 503;
  /** Seconds, for 429/503 (the API server sends it with both). */
  retryAfter?: number;
}

/** What the front knows of a request when it decides: its verb, path and its number (from 1). */
export interface SeenRequest {
  method: string;
  path: string;
  watch: boolean;
  n: number;
}

export type FaultRule = (req: SeenRequest) => FaultAnswer | undefined;

const REASONS: Record<FaultAnswer['code'], string> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export class KubeFaultFront {
  private server?: ReturnType<typeof createServer>;
  private readonly sockets = new Set<Socket>();
  private rule: FaultRule = () => undefined;
  private seen = 0;
  /** Answers given by the front itself, by code. */
  readonly injected = new Map<number, number>();
  private dir = '';
  private address = '';

  constructor(private readonly kubeconfig: string) {}

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'kube-fault-front-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'front.key',
        '-out',
        'front.crt',
        '-days',
        '2',
        '-subj',
        '/CN=kube-fault-front',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd: this.dir, stdio: 'pipe' },
    );
    const upstream = new KubeConfig();
    upstream.loadFromFile(this.kubeconfig);
    const base = new URL(upstream.getCurrentCluster()!.server);
    const tls: RequestOptions = {};
    await upstream.applyToHTTPSOptions(tls);
    this.server = createServer(
      { key: readFileSync(join(this.dir, 'front.key')), cert: readFileSync(join(this.dir, 'front.crt')) },
      (req, res) => this.handle(req, res, base, tls),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, requests the rule picks are answered by the front; the numbering starts again. */
  inject(rule: FaultRule): void {
    this.seen = 0;
    this.rule = rule;
  }

  clear(): void {
    this.rule = () => undefined;
  }

  get injectedTotal(): number {
    return [...this.injected.values()].reduce((a, b) => a + b, 0);
  }

  /** A kubeconfig for the worker: the front as its server, trusted by its certificate; no credentials needed. */
  kubeconfigFile(): string {
    const path = join(this.dir, 'kubeconfig.yaml');
    const ca = readFileSync(join(this.dir, 'front.crt')).toString('base64');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'front', cluster: { server: `https://${this.address}`, 'certificate-authority-data': ca } }],
        users: [{ name: 'front', user: {} }],
        contexts: [{ name: 'front', context: { cluster: 'front', user: 'front' } }],
        'current-context': 'front',
      }),
    );
    return path;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, base: URL, tls: RequestOptions): void {
    const url = new URL(req.url ?? '/', base);
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
      n: ++this.seen,
    };
    const fault = this.rule(seen);
    if (fault) {
      this.injected.set(fault.code, (this.injected.get(fault.code) ?? 0) + 1);
      req.resume();
      const reason = REASONS[fault.code];
      res.writeHead(fault.code, {
        'content-type': 'application/json',
        ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
      });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `injected by the fault front: ${reason}`,
          reason,
          code: fault.code,
        }),
      );
      return;
    }
    const headers = { ...req.headers, host: base.host };
    delete headers.authorization; // the front's own credentials speak for the worker
    const upstream = httpsRequest(
      { ...tls, hostname: base.hostname, port: base.port, method: req.method, path: `${url.pathname}${url.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}
