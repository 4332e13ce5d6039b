import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { LoadTestResult } from '../../activities/model-service';
import { startRelease } from '../../client/releases';
import { LoadProfile } from '../../core/analysis/spec';
import type { RouteCredentials } from '../../core/key-ref';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

const run = promisify(execFile);
const KUBECTL = join(homedir(), '.cache', 'autoglm-deploy', 'bin', 'kubectl');
const POLICY = join(__dirname, '..', '..', 'infra', 'k8s', 'base', 'gateway-policy.yaml');

// The gateway policies infra/k8s ships (Envoy Gateway's SecurityPolicy and BackendTrafficPolicy),
// applied to a route the pipeline made, as the stack's gateway enforces them: JWT from an
// identity provider's JWKS, then the local rate limit.
describe('gateway policies on a model route', () => {
  const h = useReleaseHarness('gw', 'file');
  const host = `gw-${Date.now().toString(36)}.autoglm.local`;
  let idp: Server;
  let issuer: string;
  let sign: (claims: Record<string, unknown>, opts?: { key?: 'idp' | 'other'; expiresIn?: string }) => Promise<string>;

  const chat = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${testStack().modelWorld!.routerUrl}/v1/chat/completions`,
        { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'open settings' }], max_tokens: 1 }));
    });

  const apply = (file: string) =>
    run(KUBECTL, [
      'apply',
      '--server-side',
      '--validate=strict',
      '--field-manager=autoglm-test',
      '-n',
      h.ns,
      '-f',
      file,
      '--kubeconfig',
      testStack().kubernetes.kubeconfig,
    ]);

  beforeAll(async () => {
    // The identity provider: a key pair, its JWKS served over HTTP on 127.0.0.1.
    const jose = await import('jose');
    const [idpKey, otherKey] = await Promise.all([jose.generateKeyPair('RS256'), jose.generateKeyPair('RS256')]);
    const jwk = { ...(await jose.exportJWK(idpKey.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    idp = createServer((req, res) => {
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    sign = (claims, opts = {}) =>
      new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(opts.key === 'other' ? otherKey.privateKey : idpKey.privateKey);

    // A release through a Gateway API route named after the service, as the policies target it.
    const spec = {
      service: 'autoglm',
      namespace: h.ns,
      version: 'v1',
      image: `registry.local/m@sha256:${createHash('sha256').update('gw').digest('hex')}`,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      container: { env: { SIM_TTFT_MS: '5' } },
      rollout: {
        traffic: { kind: 'gateway-api' as const, gateway: { name: 'local', namespace: 'gateway-system' }, hostnames: [host] },
        steps: [{ weight: 50 }],
      },
    };
    expect((await (await startRelease(h.worker.client, spec, { taskQueue: h.worker.taskQueue })).result()).outcome).toBe('promoted');
    expect((await chat({})).status).toBe(200); // open before the policies

    // The shipped policies, pointed at this provider, with a limit a test can reach.
    const text = readFileSync(POLICY, 'utf8').replaceAll('https://auth.example.com', issuer).replace('requests: 600', 'requests: 4');
    const file = join(mkdtempSync(join(tmpdir(), 'gw-')), 'policy.yaml');
    writeFileSync(file, text);
    await apply(file);
    // The router sees them through its watch.
    for (let i = 0; i < 50 && (await chat({})).status !== 401; i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => new Promise<void>((resolve) => (idp ? idp.close(() => resolve()) : resolve())));

  it('refuses requests without a valid token from the provider (401), and serves one with it', async () => {
    const none = await chat({});
    expect(none).toMatchObject({ status: 401, body: 'Jwt is missing' });
    expect((await chat({ authorization: `Bearer ${await sign({ sub: 'alice', aud: 'autoglm' }, { key: 'other' })}` })).status).toBe(401);
    expect((await chat({ authorization: `Bearer ${await sign({ sub: 'alice', aud: 'someone-else' })}` })).body).toMatch(/aud/);
    expect((await chat({ authorization: `Bearer ${await sign({ sub: 'alice', aud: 'autoglm' }, { expiresIn: '-1m' })}` })).body).toMatch(
      /exp/,
    );
    const ok = await chat({ authorization: `Bearer ${await sign({ sub: 'alice', aud: 'autoglm' })}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ object: 'chat.completion' });
  });

  it('limits the route to its rate (429 past it), after authentication', async () => {
    const token = await sign({ sub: 'bob', aud: 'autoglm' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await chat({ authorization: `Bearer ${token}` })).status);
    // 4 per minute, one spent by the test before: the bucket is empty after three more.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
    expect((await chat({})).status).toBe(401); // unauthenticated requests are refused before the limit counts them
  });

  // Last: it lifts the rate limit the test above spends.
  it("sends load tests and golden prompts with the route's bearer token from its Secret, and counts refusals as 401s", async () => {
    const limit = readFileSync(POLICY, 'utf8').split('---')[0]!.replace('requests: 600', 'requests: 100000');
    const file = join(mkdtempSync(join(tmpdir(), 'gw-')), 'limit.yaml');
    writeFileSync(file, limit);
    await apply(file);
    const token = await sign({ sub: 'autoglm-deploy', aud: 'autoglm' }, { expiresIn: '10m' });
    for (let i = 0; i < 50 && (await chat({ authorization: `Bearer ${token}` })).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    await h.kube.core.createNamespacedSecret({
      namespace: h.ns,
      body: { metadata: { name: 'route-token' }, stringData: { token: `${token}\n` } },
    });
    const stack = testStack();
    const activities = createActivities({
      kubeconfig: stack.kubernetes.kubeconfig,
      serviceUrl: stack.modelWorld!.routerUrl,
      serviceHost: '{service}.{namespace}',
      gatewayUrl: stack.modelWorld!.routerUrl,
    });
    const profile = LoadProfile.parse({
      mode: 'constant',
      rate: 20,
      promptTokens: { mean: 8, stddev: 0 },
      outputTokens: { mean: 2, stddev: 0 },
    });
    const load = (credentials?: RouteCredentials): Promise<LoadTestResult> =>
      new MockActivityEnvironment().run(activities.runLoadTest, {
        namespace: h.ns,
        targetService: 'autoglm',
        viaHostname: host,
        model: 'm',
        profile,
        durationMs: 1500,
        slo: {},
        title: 'through the protected route',
        ...(credentials ? { credentials } : {}),
      });
    const credentials: RouteCredentials = { bearerToken: { secretKeyRef: { name: 'route-token', key: 'token' } } };

    const withToken = await load(credentials);
    expect(withToken.summary.requests).toBeGreaterThan(10);
    expect(withToken.summary.errors).toEqual({});
    const without = await load();
    expect(without.summary.completed).toBe(0);
    expect(without.summary.errors).toEqual({ 'http-401': without.summary.requests });

    const golden = await new MockActivityEnvironment().run(activities.goldenPrompts, {
      namespace: h.ns,
      stableService: 'autoglm',
      canaryService: 'autoglm',
      model: 'm',
      prompts: ['open settings'],
      maxTokens: 4,
      credentials,
    });
    expect(golden).toMatchObject({ compared: 1, failures: [] });

    const missing = await new MockActivityEnvironment()
      .run(activities.runLoadTest, {
        namespace: h.ns,
        targetService: 'autoglm',
        model: 'm',
        profile,
        durationMs: 100,
        slo: {},
        title: 't',
        credentials: { bearerToken: { secretKeyRef: { name: 'route-token', key: 'jwt' } } },
      })
      .catch((e: unknown) => e as Error);
    expect((missing as Error).message).toBe(`Secret ${h.ns}/route-token has no key "jwt" (it has "token")`);
  });
});
