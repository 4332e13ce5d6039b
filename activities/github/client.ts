/**
 * octokit clients for the GitHub activities, authenticated as a GitHub App installation
 * (installation tokens minted from the App's key and refreshed by @octokit/auth-app) or with a
 * token. Retries (5xx) and rate limits are octokit's plugins' job.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createAppAuth } from '@octokit/auth-app';
// @octokit/core with the plugins the `octokit` package bundles: that package also pulls in the
// OAuth stacks, one of which Node cannot require (an ESM export without a default condition).
import { Octokit as Core } from '@octokit/core';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { ErrorType } from '../../core/errors';

export interface GitHubAppCredentials {
  appId: string;
  /** The App's private key (PEM, PKCS#1 as GitHub issues it, or PKCS#8). */
  privateKey: string;
  /** Unset: looked up per repository (GET /repos/{owner}/{repo}/installation). */
  installationId?: number;
}

export interface GitHubOptions {
  /** https://api.github.com, or a GitHub Enterprise Server's /api/v3. */
  baseUrl: string;
  /** A personal or installation token; never passed through workflow history. */
  token?: string;
  /** GitHub App auth; wins over `token`. Needed for check runs (GitHub lets only Apps write them). */
  app?: GitHubAppCredentials;
}

export interface GitHubTarget {
  owner: string;
  repo: string;
}

const Octokit = Core.plugin(restEndpointMethods, retry, throttling);
export type Octokit = InstanceType<typeof Octokit>;

const common = (baseUrl: string) => ({
  baseUrl,
  userAgent: 'autoglm-deploy',
  // One retry layer, Temporal's (five tries per call): octokit's own three, under each of those,
  // made a GitHub outage hold a release up for about four minutes (test/reliability/dependency-outages).
  retry: { enabled: false },
  throttle: {
    // Wait out primary and secondary rate limits a few times; Temporal retries the activity after that.
    onRateLimit: (_after: number, _o: unknown, _k: unknown, retryCount: number) => retryCount < 3,
    onSecondaryRateLimit: (_after: number, _o: unknown, _k: unknown, retryCount: number) => retryCount < 3,
  },
});

/** Clients per installation, kept for the worker's life: auth-app caches and renews their tokens. */
export function createGitHubClients(opts: GitHubOptions) {
  const installations = new Map<string, Promise<number>>();
  const clients = new Map<number, Octokit>();
  let tokenClient: Octokit | undefined;
  let appClient: Octokit | undefined;

  async function installationOf(app: GitHubAppCredentials, target: GitHubTarget): Promise<number> {
    if (app.installationId) return app.installationId;
    const key = `${target.owner}/${target.repo}`.toLowerCase();
    let id = installations.get(key);
    if (!id) {
      appClient ??= new Octokit({
        ...common(opts.baseUrl),
        authStrategy: createAppAuth,
        auth: { appId: app.appId, privateKey: app.privateKey },
      });
      id = appClient.rest.apps.getRepoInstallation({ owner: target.owner, repo: target.repo }).then((r) => r.data.id);
      installations.set(key, id);
      id.catch(() => installations.delete(key)); // a failed lookup is tried again next time
    }
    return id;
  }

  return {
    /** Whether check runs can be written (only GitHub Apps may). */
    isApp: !!opts.app,
    async forRepo(target: GitHubTarget): Promise<Octokit> {
      if (opts.app) {
        const app = opts.app;
        const installationId = await installationOf(app, target);
        let c = clients.get(installationId);
        if (!c) {
          c = new Octokit({
            ...common(opts.baseUrl),
            authStrategy: createAppAuth,
            auth: { appId: app.appId, privateKey: app.privateKey, installationId },
          });
          clients.set(installationId, c);
        }
        return c;
      }
      if (!opts.token)
        throw ApplicationFailure.nonRetryable(
          'GitHub reporting needs credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, or GITHUB_TOKEN, for the worker',
          ErrorType.InvalidConfig,
        );
      return (tokenClient ??= new Octokit({ ...common(opts.baseUrl), auth: opts.token }));
    },
  };
}

/** What retrying cannot fix (credentials, permissions, a missing repository, validation) is not retried. */
export function gitHubFailure(err: unknown, what: string): Error {
  const status = (err as { status?: number }).status;
  if (status === 401 || status === 403 || status === 404 || status === 409 || status === 422) {
    return ApplicationFailure.nonRetryable(`GitHub refused to ${what}: ${status} ${(err as Error).message}`, ErrorType.InvalidConfig);
  }
  return err as Error;
}
