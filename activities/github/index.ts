/**
 * Activities that talk to GitHub: a Deployment per release and environment, and its statuses.
 * octokit's retry and throttling plugins handle 5xx and rate limits; every call is keyed so a
 * retried activity neither creates a second deployment nor repeats a status.
 */
import { ApplicationFailure } from '@temporalio/activity';
// @octokit/core with the plugins the `octokit` package bundles: that package also pulls in the App
// and OAuth stacks, one of which Node cannot require (an ESM export without a default condition).
import { Octokit as Core } from '@octokit/core';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { ErrorType } from '../../core/errors';

export interface GitHubOptions {
  /** https://api.github.com, or a GitHub Enterprise Server's /api/v3. */
  baseUrl: string;
  /** An installation or personal token; never passed through workflow history. */
  token?: string;
}

export interface GitHubTarget {
  owner: string;
  repo: string;
}

export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** GitHub keeps at most 140 characters of a deployment status description. */
export const statusDescription = (text: string) => (text.length <= 140 ? text : `${text.slice(0, 139)}…`);

const Octokit = Core.plugin(restEndpointMethods, retry, throttling);
type Octokit = InstanceType<typeof Octokit>;

function client(opts: GitHubOptions): Octokit {
  if (!opts.token) throw ApplicationFailure.nonRetryable('GitHub reporting needs a token: set GITHUB_TOKEN for the worker', ErrorType.InvalidConfig);
  return new Octokit({
    auth: opts.token,
    baseUrl: opts.baseUrl,
    userAgent: 'autoglm-deploy',
    retry: { retries: 3 },
    throttle: {
      // Wait out primary and secondary rate limits a few times; Temporal retries the activity after that.
      onRateLimit: (_after: number, _o: unknown, _k: unknown, retryCount: number) => retryCount < 3,
      onSecondaryRateLimit: (_after: number, _o: unknown, _k: unknown, retryCount: number) => retryCount < 3,
    },
  });
}

function gitHubFailure(err: unknown, what: string): Error {
  const status = (err as { status?: number }).status;
  if (status === 401 || status === 403 || status === 404 || status === 409 || status === 422) {
    return ApplicationFailure.nonRetryable(`GitHub refused to ${what}: ${status} ${(err as Error).message}`, ErrorType.InvalidConfig);
  }
  return err as Error;
}

export const createGitHubActivities = (opts: GitHubOptions) => ({
  /** The deployment of this release (found by its key in the payload, else created). */
  async ensureDeployment(input: GitHubTarget & { ref: string; environment: string; releaseKey: string; description: string }): Promise<{ id: number }> {
    const gh = client(opts);
    try {
      const { data: existing } = await gh.rest.repos.listDeployments({ owner: input.owner, repo: input.repo, ref: input.ref, environment: input.environment, per_page: 100 });
      const mine = existing.find((d: { id: number; payload?: unknown }) => (d.payload as { autoglm_release?: string } | undefined)?.autoglm_release === input.releaseKey);
      if (mine) return { id: mine.id };
      const created = await gh.rest.repos.createDeployment({
        owner: input.owner, repo: input.repo, ref: input.ref, environment: input.environment, description: statusDescription(input.description),
        payload: { autoglm_release: input.releaseKey }, auto_merge: false, required_contexts: [],
        production_environment: input.environment === 'production', transient_environment: false,
      });
      if (created.status !== 201) throw ApplicationFailure.nonRetryable(`GitHub did not create the deployment: ${(created.data as { message?: string }).message ?? created.status}`, ErrorType.InvalidConfig);
      return { id: (created.data as { id: number }).id };
    } catch (err) {
      throw gitHubFailure(err, `create a deployment of ${input.owner}/${input.repo}@${input.ref}`);
    }
  },

  /** Adds a status unless the latest already says the same (a retried activity repeats nothing). */
  async setDeploymentStatus(input: GitHubTarget & { deploymentId: number; state: DeploymentState; description: string; logUrl?: string; environmentUrl?: string }): Promise<{ created: boolean }> {
    const gh = client(opts);
    const description = statusDescription(input.description);
    try {
      const { data: latest } = await gh.rest.repos.listDeploymentStatuses({ owner: input.owner, repo: input.repo, deployment_id: input.deploymentId, per_page: 1 });
      if (latest[0]?.state === input.state && latest[0]?.description === description) return { created: false };
      await gh.rest.repos.createDeploymentStatus({
        owner: input.owner, repo: input.repo, deployment_id: input.deploymentId, state: input.state, description,
        ...(input.logUrl ? { log_url: input.logUrl } : {}), ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
        auto_inactive: input.state === 'success',
      });
      return { created: true };
    } catch (err) {
      throw gitHubFailure(err, `set a deployment status on ${input.owner}/${input.repo}`);
    }
  },
});

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
