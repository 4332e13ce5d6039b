/**
 * A GitHub REST emulator for tests: the endpoints the product uses (deployments, deployment
 * statuses, check runs), with state, token auth, injected faults (5xx, rate limits), and every
 * request and response checked against GitHub's OpenAPI description. A request GitHub would
 * refuse gets 422 and is recorded in `violations`; so is a response of ours that GitHub would
 * never send (a bug in the emulator).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubContractError, GitHubOpenApi } from './openapi';

let openapi: GitHubOpenApi | undefined;
const contract = () => (openapi ??= new GitHubOpenApi());

type Json = Record<string, unknown>;

export interface Fault {
  status: 500 | 502 | 503 | 403 | 429;
  /** How many requests in a row get it. */
  times: number;
}

export class GitHubEmulator {
  private server?: Server;
  url = '';
  readonly violations: string[] = [];
  readonly requests: { method: string; path: string; status: number }[] = [];
  private nextId = 1000;
  private faults: Fault[] = [];
  readonly deployments: Json[] = [];
  readonly statuses = new Map<number, Json[]>();
  readonly checkRuns: Json[] = [];

  constructor(readonly token = 'ghs_test_installation_token') {}

  async start(): Promise<string> {
    contract(); // load the description before the first request, not during it
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next requests fail as GitHub does when it is down or rate-limits. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  private user(): Json {
    const base = `${this.url}/users/autoglm-deploy%5Bbot%5D`;
    return {
      login: 'autoglm-deploy[bot]', id: 1, node_id: 'BOT_1', avatar_url: 'https://avatars.githubusercontent.com/in/1', gravatar_id: '',
      url: base, html_url: 'https://github.com/apps/autoglm-deploy', followers_url: `${base}/followers`, following_url: `${base}/following{/other_user}`,
      gists_url: `${base}/gists{/gist_id}`, starred_url: `${base}/starred{/owner}{/repo}`, subscriptions_url: `${base}/subscriptions`,
      organizations_url: `${base}/orgs`, repos_url: `${base}/repos`, events_url: `${base}/events{/privacy}`, received_events_url: `${base}/received_events`,
      type: 'Bot', site_admin: false,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, validate = true) => {
      if (validate && status < 500 && status !== 401 && status !== 403 && status !== 429) {
        try {
          contract().validateResponse(method, url.pathname, status, body);
        } catch (err) {
          this.violations.push(`emulator answered what GitHub would not: ${(err as Error).message}`);
        }
      }
      this.requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      if (fault.status === 403 || fault.status === 429) {
        return send(fault.status, { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest/rate-limit' }, {
          'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1), 'retry-after': '1',
        }, false);
      }
      return send(fault.status, { message: 'Server Error' }, {}, false);
    }
    if (req.headers.authorization !== `token ${this.token}` && req.headers.authorization !== `Bearer ${this.token}`) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }, {}, false);
    }
    let body: unknown;
    const text = await new Promise<string>((resolve) => {
      let t = '';
      req.on('data', (c: Buffer) => (t += c));
      req.on('end', () => resolve(t));
    });
    try {
      body = text ? JSON.parse(text) : undefined;
      contract().validateRequest(method, url.pathname, url.searchParams, body);
    } catch (err) {
      const message = err instanceof GitHubContractError ? err.message : `not JSON: ${(err as Error).message}`;
      this.violations.push(`product sent what GitHub would refuse: ${message}`);
      return send(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest', errors: [{ message }] }, {}, false);
    }
    let route;
    try {
      route = contract().find(method, url.pathname);
    } catch (err) {
      return send(404, { message: 'Not Found', documentation_url: (err as Error).message }, {}, false);
    }
    const { owner, repo, deployment_id } = route.params;
    const repoUrl = `${this.url}/repos/${owner}/${repo}`;
    const now = new Date().toISOString();
    switch (route.operationId) {
      case 'repos/list-deployments': {
        const q = url.searchParams;
        const list = this.deployments.filter((d) => d.repository_url === repoUrl && (!q.get('ref') || d.ref === q.get('ref')) && (!q.get('environment') || d.environment === q.get('environment')));
        return send(200, list.slice().reverse().slice(0, Number(q.get('per_page') ?? 30)));
      }
      case 'repos/create-deployment': {
        const b = body as { ref: string; environment?: string; description?: string | null; payload?: unknown; task?: string; production_environment?: boolean; transient_environment?: boolean };
        const id = this.nextId++;
        const deployment = {
          url: `${repoUrl}/deployments/${id}`, id, node_id: `DE_${id}`, sha: '0123456789abcdef0123456789abcdef01234567', ref: b.ref, task: b.task ?? 'deploy',
          payload: b.payload ?? {}, original_environment: b.environment ?? 'production', environment: b.environment ?? 'production', description: b.description ?? null,
          creator: this.user(), created_at: now, updated_at: now, statuses_url: `${repoUrl}/deployments/${id}/statuses`, repository_url: repoUrl,
          transient_environment: b.transient_environment ?? false, production_environment: b.production_environment ?? (b.environment ?? 'production') === 'production',
        };
        this.deployments.push(deployment);
        this.statuses.set(id, []);
        return send(201, deployment);
      }
      case 'repos/list-deployment-statuses':
      case 'repos/create-deployment-status': {
        const id = Number(deployment_id);
        const list = this.statuses.get(id);
        if (!list) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, {}, false);
        if (method === 'GET') return send(200, list.slice().reverse());
        const b = body as { state: string; description?: string; log_url?: string; environment_url?: string; environment?: string };
        const sid = this.nextId++;
        const status = {
          url: `${repoUrl}/deployments/${id}/statuses/${sid}`, id: sid, node_id: `DES_${sid}`, state: b.state, creator: this.user(), description: b.description ?? '',
          environment: b.environment ?? (this.deployments.find((d) => d.id === id)!.environment as string), target_url: b.log_url ?? '', created_at: now, updated_at: now,
          deployment_url: `${repoUrl}/deployments/${id}`, repository_url: repoUrl, environment_url: b.environment_url ?? '', log_url: b.log_url ?? '',
        };
        list.push(status);
        return send(201, status);
      }
      default:
        return send(404, { message: `the emulator does not serve ${route.operationId}`, documentation_url: 'https://docs.github.com/rest' }, {}, false);
    }
  }
}
