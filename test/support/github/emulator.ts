/**
 * A GitHub REST emulator for tests: the endpoints the product uses (deployments, deployment
 * statuses, check runs), with state, token auth, injected faults (5xx, rate limits), and every
 * request and response checked against GitHub's OpenAPI description. A request GitHub would
 * refuse gets 422 and is recorded in `violations`; so is a response of ours that GitHub would
 * never send (a bug in the emulator).
 */
import { createHash, generateKeyPairSync, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubContractError, GitHubOpenApi } from './openapi';
import {
  botUser,
  deploymentOf,
  deploymentStatusOf,
  installationOf,
  issueOf,
  newCheckRun,
  type DeploymentRequest,
  type DeploymentStatusRequest,
  type Json,
} from './resources';

let openapi: GitHubOpenApi | undefined;
const contract = () => (openapi ??= new GitHubOpenApi());

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
  readonly issues: Json[] = [];
  /** The GitHub App: its id, private key (PKCS#1 PEM, as GitHub hands it out) and one installation. */
  readonly app = (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      id: 424242,
      slug: 'autoglm-deploy',
      installationId: 777,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey,
    };
  })();
  /** Installation tokens handed out, with their expiry (ms). */
  private readonly installationTokens = new Map<string, number>();
  /** App JWTs presented, for tests: one per token request. */
  readonly jwtsSeen: { iss?: unknown; iat: number; exp: number }[] = [];

  constructor(readonly token = 'ghs_test_installation_token') {}

  /** The commit a ref names, as GitHub resolves a deployment's ref (stable per ref). */
  shaOf(ref: string): string {
    return /^[0-9a-f]{40}$/.test(ref) ? ref : createHash('sha1').update(`ref:${ref}`).digest('hex');
  }

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
    return botUser(this.url);
  }

  /** RS256 with the App's key, `iss` its id, at most 10 minutes long and not expired: GitHub's rules. */
  private verifyAppJwt(jwt: string): boolean {
    const [h, p, sig] = jwt.split('.') as [string, string, string];
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: unknown; iat: number; exp: number };
      if (header.alg !== 'RS256') return false;
      if (!verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), this.app.publicKey as KeyObject, Buffer.from(sig, 'base64url')))
        return false;
      const now = Date.now() / 1000;
      if (String(claims.iss) !== String(this.app.id) || claims.exp - claims.iat > 600 || claims.exp < now || claims.iat > now + 60)
        return false;
      this.jwtsSeen.push(claims);
      return true;
    } catch {
      return false;
    }
  }

  private installation(): Json {
    return installationOf(this.url, this.app, this.user());
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
        return send(
          fault.status,
          { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest/rate-limit' },
          {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
            'retry-after': '1',
          },
          false,
        );
      }
      return send(fault.status, { message: 'Server Error' }, {}, false);
    }
    const credential = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const viaJwt = credential.split('.').length === 3;
    const asApp = viaJwt && this.verifyAppJwt(credential);
    const asInstallation = (this.installationTokens.get(credential) ?? 0) > Date.now();
    if (!asApp && !asInstallation && credential !== this.token) {
      return send(
        401,
        {
          message: viaJwt ? 'A JSON web token could not be decoded' : 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
        },
        {},
        false,
      );
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
      return send(
        422,
        { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest', errors: [{ message }] },
        {},
        false,
      );
    }
    let route;
    try {
      route = contract().find(method, url.pathname);
    } catch (err) {
      return send(404, { message: 'Not Found', documentation_url: (err as Error).message }, {}, false);
    }
    const { owner, repo, deployment_id, check_run_id, installation_id } = route.params;
    // As GitHub: an App JWT reaches only the /app endpoints and installation lookups, and only
    // a GitHub App's installation token may write check runs.
    const appOnly = route.operationId === 'apps/create-installation-access-token' || route.operationId === 'apps/get-repo-installation';
    if (appOnly !== asApp)
      return send(
        appOnly ? 401 : 403,
        {
          message: appOnly ? 'A JSON web token could not be decoded' : 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest',
        },
        {},
        false,
      );
    if (route.operationId.startsWith('checks/') && method !== 'GET' && !asInstallation) {
      return send(
        403,
        {
          message: 'You must authenticate via a GitHub App.',
          documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run',
        },
        {},
        false,
      );
    }
    const repoUrl = `${this.url}/repos/${owner}/${repo}`;
    const now = new Date().toISOString();
    switch (route.operationId) {
      case 'repos/list-deployments': {
        const q = url.searchParams;
        const list = this.deployments.filter(
          (d) =>
            d.repository_url === repoUrl &&
            (!q.get('ref') || d.ref === q.get('ref')) &&
            (!q.get('environment') || d.environment === q.get('environment')),
        );
        return send(
          200,
          list
            .slice()
            .reverse()
            .slice(0, Number(q.get('per_page') ?? 30)),
        );
      }
      case 'repos/create-deployment': {
        const b = body as DeploymentRequest;
        const id = this.nextId++;
        const deployment = deploymentOf(repoUrl, id, this.shaOf(b.ref), b, this.user(), now);
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
        const b = body as DeploymentStatusRequest;
        const sid = this.nextId++;
        const status = deploymentStatusOf(
          repoUrl,
          id,
          sid,
          b,
          this.deployments.find((d) => d.id === id)!.environment as string,
          this.user(),
          now,
        );
        list.push(status);
        return send(201, status);
      }
      case 'apps/get-repo-installation':
        return send(200, this.installation());
      case 'apps/create-installation-access-token': {
        if (Number(installation_id) !== this.app.installationId)
          return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, {}, false);
        const token = `ghs_${randomBytes(18).toString('base64url')}`;
        const expires = Date.now() + 3600_000;
        this.installationTokens.set(token, expires);
        return send(201, {
          token,
          expires_at: new Date(expires).toISOString().replace(/\.\d+Z$/, 'Z'),
          permissions: { checks: 'write', deployments: 'write', issues: 'write' },
          repository_selection: 'selected',
        });
      }
      case 'issues/list-for-repo': {
        const q = url.searchParams;
        const wanted = (q.get('labels') ?? '').split(',').filter(Boolean);
        const list = this.issues.filter(
          (i) => i.repository_url === repoUrl && wanted.every((l) => (i.labels as { name: string }[]).some((x) => x.name === l)),
        );
        return send(
          200,
          list
            .slice()
            .reverse()
            .slice(0, Number(q.get('per_page') ?? 30)),
        );
      }
      case 'issues/create': {
        const b = body as { title: string; body?: string; labels?: string[] };
        const id = this.nextId++;
        const number = this.issues.filter((i) => i.repository_url === repoUrl).length + 1;
        const issue = issueOf(repoUrl, { owner: owner!, repo: repo! }, id, number, b, this.user(), now);
        this.issues.push(issue);
        return send(201, issue);
      }
      case 'checks/list-for-ref': {
        const q = url.searchParams;
        const sha = this.shaOf(route.params.ref!);
        const runs = this.checkRuns.filter(
          (r) => String(r.url).startsWith(repoUrl) && r.head_sha === sha && (!q.get('check_name') || r.name === q.get('check_name')),
        );
        return send(200, { total_count: runs.length, check_runs: runs.slice().reverse() });
      }
      case 'checks/create':
      case 'checks/update': {
        const b = body as {
          name?: string;
          head_sha?: string;
          details_url?: string;
          external_id?: string;
          status?: string;
          conclusion?: string;
          started_at?: string;
          completed_at?: string;
          output?: { title: string; summary: string; text?: string };
        };
        let run = method === 'POST' ? undefined : this.checkRuns.find((r) => r.id === Number(check_run_id));
        if (method === 'PATCH' && !run)
          return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, {}, false);
        if (!run) {
          const id = this.nextId++;
          run = newCheckRun(repoUrl, { owner: owner!, repo: repo! }, id, b, now);
          this.checkRuns.push(run);
        }
        if (b.name) run.name = b.name;
        if (b.details_url) run.details_url = b.details_url;
        if (b.external_id) run.external_id = b.external_id;
        if (b.started_at) run.started_at = b.started_at;
        if (b.status) run.status = b.status;
        if (b.conclusion) Object.assign(run, { conclusion: b.conclusion, status: 'completed', completed_at: b.completed_at ?? now });
        if (b.output)
          run.output = { ...(run.output as Json), title: b.output.title, summary: b.output.summary, text: b.output.text ?? null };
        return send(method === 'POST' ? 201 : 200, run);
      }
      default:
        return send(
          404,
          { message: `the emulator does not serve ${route.operationId}`, documentation_url: 'https://docs.github.com/rest' },
          {},
          false,
        );
    }
  }
}
