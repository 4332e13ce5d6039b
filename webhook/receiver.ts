/**
 * The GitHub webhook receiver: an HTTP handler that verifies `X-Hub-Signature-256` (HMAC-SHA256
 * of the raw body with the shared secret, via @octokit/webhooks) before it reads anything, and
 * turns a published release of a configured repository into a release.
 *
 *   401 missing or bad signature · 400 malformed payload (the reason) · 415 not JSON ·
 *   413 over GitHub's 25 MB · 202 started, accepted, or ignored (other events and actions,
 *   unconfigured repositories, pre-releases) · 200 ping, duplicate delivery · 409 another
 *   release of the service is running · 503 Temporal unreachable (redeliver later).
 */
import type { Webhooks } from '@octokit/webhooks';
import type { Client } from '@temporalio/client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startFromGitHubRelease } from '../client/github-releases';
import { InvalidSpecError } from '../client/releases';
import type { JsonLogger } from '../worker/logger';
import type { ReceiverConfig } from './config';
import { MalformedReleaseError, parsePublishedRelease } from './release-event';

/** GitHub caps webhook payloads at 25 MB. */
const MAX_BODY = 25 * 1024 * 1024;

export interface ReceiverDeps {
  client: Client;
  taskQueue: string;
  logger: Pick<JsonLogger, 'info' | 'warn' | 'error'>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Past this much of an oversized body the connection is cut; below it the rest is read and
 * dropped, so the sender (still writing) reads the 413 instead of a connection reset.
 */
const DRAIN_LIMIT = 4 * MAX_BODY;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(header(req, 'content-length') ?? 0);
    if (declared > DRAIN_LIMIT) {
      reject(new HttpError(413, 'payload over 25 MB'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DRAIN_LIMIT) req.destroy();
      else if (size > MAX_BODY) chunks.length = 0;
      else chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY ? reject(new HttpError(413, 'payload over 25 MB')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

// @octokit/webhooks is ESM whose own dependency exports only an `import` condition: it must be
// loaded by import(), which tsx and Node keep as a real ESM import (a require would fail).
const loadWebhooks = async (secret: string): Promise<Webhooks> => new (await import('@octokit/webhooks')).Webhooks({ secret });

export function createReceiver(config: ReceiverConfig, deps: ReceiverDeps) {
  const verifier = loadWebhooks(config.secret);
  verifier.catch(() => undefined); // reported by the first delivery that needs it, as a 500

  async function handle(req: IncomingMessage): Promise<{ status: number; body: Record<string, unknown> }> {
    if (req.url === '/healthz' && req.method === 'GET') return { status: 200, body: { ok: true } };
    if ((req.url ?? '').split('?')[0] !== config.path) throw new HttpError(404, 'not found');
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    const signature = header(req, 'x-hub-signature-256');
    if (!signature) throw new HttpError(401, 'missing X-Hub-Signature-256: configure the webhook with a secret');
    const raw = (await readBody(req)).toString('utf8');
    if (!(await (await verifier).verify(raw, signature).catch(() => false))) throw new HttpError(401, 'bad signature');
    // Only a verified body is parsed or believed.
    const event = header(req, 'x-github-event') ?? '';
    const delivery = header(req, 'x-github-delivery') ?? '';
    if (!/^application\/json\b/i.test(header(req, 'content-type') ?? ''))
      throw new HttpError(415, 'set the webhook content type to application/json');
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (event === 'ping') return { status: 200, body: { result: 'pong' } };
    const action = (payload as { action?: unknown } | null)?.action;
    if (event !== 'release' || action !== 'published')
      return {
        status: 202,
        body: { result: 'ignored', reason: `event ${event}${typeof action === 'string' ? `.${action}` : ''} is not release.published` },
      };
    if (!delivery) throw new HttpError(400, 'missing X-GitHub-Delivery');
    let release;
    try {
      release = parsePublishedRelease(payload);
    } catch (err) {
      if (err instanceof MalformedReleaseError) throw new HttpError(400, err.message);
      throw err;
    }
    const fullName = `${release.owner}/${release.repo}`;
    const target = config.repositories.get(fullName.toLowerCase());
    if (!target) return { status: 202, body: { result: 'ignored', reason: `no service is configured for ${fullName}` } };
    if (release.prerelease && !target.prereleases)
      return { status: 202, body: { result: 'ignored', reason: `${release.tag} is a pre-release` } };
    let outcome;
    try {
      outcome = await startFromGitHubRelease(deps.client, {
        spec: target.spec,
        release,
        delivery,
        taskQueue: deps.taskQueue,
        waitMs: config.waitForStartMs,
        ...(config.logUrl ? { logUrl: config.logUrl } : {}),
        ...(target.environmentUrl ? { environmentUrl: target.environmentUrl } : {}),
      });
    } catch (err) {
      // The spec with the release's version or image did not validate: the release is the problem.
      if (err instanceof InvalidSpecError) throw new HttpError(400, `release ${release.tag}: ${err.message}`);
      deps.logger.error('could not start a release from GitHub', { delivery, repository: fullName, tag: release.tag, error: err as Error });
      throw new HttpError(503, 'Temporal is unavailable; redeliver later');
    }
    deps.logger.info('GitHub release delivery', { delivery, repository: fullName, tag: release.tag, ...outcome });
    const status = outcome.state === 'duplicate' ? 200 : outcome.state === 'refused' ? 409 : 202;
    return { status, body: { result: outcome.state, ...outcome, state: undefined } };
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req).then(
      ({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (!(err instanceof HttpError)) deps.logger.error('webhook handler failed', { error: err as Error });
        else if (status === 401) deps.logger.warn('webhook refused', { reason: err.message, delivery: header(req, 'x-github-delivery') });
        if (!res.headersSent) {
          res.writeHead(status, { 'content-type': 'application/json', ...(status === 413 ? { connection: 'close' } : {}) });
          res.end(JSON.stringify({ error: err instanceof HttpError ? err.message : 'internal error' }));
        }
      },
    );
  };
}
