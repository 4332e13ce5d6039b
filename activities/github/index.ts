/**
 * Activities that talk to GitHub: a Deployment per release and environment with its statuses,
 * and a check run on the deployed commit carrying the release report. Every call is keyed so a
 * retried activity neither creates a second deployment or check run nor repeats a status.
 */
import { createGitHubClients, gitHubFailure, type GitHubOptions, type GitHubTarget } from './client';

export type { GitHubOptions, GitHubTarget } from './client';

export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled';

/** GitHub keeps at most 140 characters of a deployment status description. */
export const statusDescription = (text: string) => (text.length <= 140 ? text : `${text.slice(0, 139)}…`);
/** A check run's output summary and text hold at most 65535 characters each. */
const checkText = (text: string) => (text.length <= 65_535 ? text : `${text.slice(0, 65_400)}\n\n… (cut: GitHub keeps 65535 characters)`);

export const createGitHubActivities = (opts: GitHubOptions) => {
  const github = createGitHubClients(opts);
  return {
    /** The deployment of this release (found by its key in the payload, else created), and the commit GitHub resolved its ref to. */
    async ensureDeployment(
      input: GitHubTarget & { ref: string; environment: string; releaseKey: string; description: string },
    ): Promise<{ id: number; sha: string }> {
      try {
        const gh = await github.forRepo(input);
        const { data: existing } = await gh.rest.repos.listDeployments({
          owner: input.owner,
          repo: input.repo,
          ref: input.ref,
          environment: input.environment,
          per_page: 100,
        });
        const mine = existing.find((d) => (d.payload as { autoglm_release?: string } | undefined)?.autoglm_release === input.releaseKey);
        if (mine) return { id: mine.id, sha: mine.sha };
        const created = await gh.rest.repos.createDeployment({
          owner: input.owner,
          repo: input.repo,
          ref: input.ref,
          environment: input.environment,
          description: statusDescription(input.description),
          payload: { autoglm_release: input.releaseKey },
          auto_merge: false,
          required_contexts: [],
          production_environment: input.environment === 'production',
          transient_environment: false,
        });
        if (created.status !== 201)
          throw Object.assign(
            new Error(`GitHub did not create the deployment: ${(created.data as { message?: string }).message ?? created.status}`),
            { status: 409 },
          );
        const d = created.data as { id: number; sha: string };
        return { id: d.id, sha: d.sha };
      } catch (err) {
        throw gitHubFailure(err, `create a deployment of ${input.owner}/${input.repo}@${input.ref}`);
      }
    },

    /** Adds a status unless the latest already says the same (a retried activity repeats nothing). */
    async setDeploymentStatus(
      input: GitHubTarget & { deploymentId: number; state: DeploymentState; description: string; logUrl?: string; environmentUrl?: string },
    ): Promise<{ created: boolean }> {
      const description = statusDescription(input.description);
      try {
        const gh = await github.forRepo(input);
        const { data: latest } = await gh.rest.repos.listDeploymentStatuses({
          owner: input.owner,
          repo: input.repo,
          deployment_id: input.deploymentId,
          per_page: 1,
        });
        if (latest[0]?.state === input.state && latest[0]?.description === description) return { created: false };
        await gh.rest.repos.createDeploymentStatus({
          owner: input.owner,
          repo: input.repo,
          deployment_id: input.deploymentId,
          state: input.state,
          description,
          ...(input.logUrl ? { log_url: input.logUrl } : {}),
          ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
          auto_inactive: input.state === 'success',
        });
        return { created: true };
      } catch (err) {
        throw gitHubFailure(err, `set a deployment status on ${input.owner}/${input.repo}`);
      }
    },

    /**
     * The release's check run on the deployed commit, in progress (found by its external id, else
     * created). GitHub lets only Apps write check runs: with a token this is skipped, said why.
     */
    async ensureCheckRun(
      input: GitHubTarget & { headSha: string; name: string; externalId: string; title: string; summary: string; detailsUrl?: string },
    ): Promise<{ id?: number; skipped?: string }> {
      if (!github.isApp) return { skipped: 'check runs need GitHub App credentials (GITHUB_APP_ID); a token cannot write them' };
      try {
        const gh = await github.forRepo(input);
        const { data } = await gh.rest.checks.listForRef({
          owner: input.owner,
          repo: input.repo,
          ref: input.headSha,
          check_name: input.name,
          filter: 'all',
          per_page: 100,
        });
        const mine = data.check_runs.find((r) => r.external_id === input.externalId);
        if (mine) return { id: mine.id };
        const { data: created } = await gh.rest.checks.create({
          owner: input.owner,
          repo: input.repo,
          head_sha: input.headSha,
          name: input.name,
          external_id: input.externalId,
          status: 'in_progress',
          started_at: new Date().toISOString(),
          output: { title: input.title, summary: checkText(input.summary) },
          ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
        });
        return { id: created.id };
      } catch (err) {
        throw gitHubFailure(err, `create a check run on ${input.owner}/${input.repo}@${input.headSha.slice(0, 7)}`);
      }
    },

    /** Completes the check run with the report (setting the same conclusion and output twice changes nothing). */
    async completeCheckRun(
      input: GitHubTarget & { checkRunId: number; conclusion: CheckConclusion; title: string; summary: string; text?: string },
    ): Promise<void> {
      try {
        const gh = await github.forRepo(input);
        await gh.rest.checks.update({
          owner: input.owner,
          repo: input.repo,
          check_run_id: input.checkRunId,
          status: 'completed',
          conclusion: input.conclusion,
          completed_at: new Date().toISOString(),
          output: { title: input.title, summary: checkText(input.summary), ...(input.text ? { text: checkText(input.text) } : {}) },
        });
      } catch (err) {
        throw gitHubFailure(err, `complete check run ${input.checkRunId} on ${input.owner}/${input.repo}`);
      }
    },

    /**
     * An issue with a report (a DR drill's), once: it carries a hidden key, and an issue with
     * that key is found instead of a second being opened by a retried activity.
     */
    async reportIssue(
      input: GitHubTarget & { key: string; title: string; body: string; labels: string[] },
    ): Promise<{ number: number; url: string; created: boolean }> {
      const marker = `<!-- autoglm:${input.key} -->`;
      try {
        const gh = await github.forRepo(input);
        const { data } = await gh.rest.issues.listForRepo({
          owner: input.owner,
          repo: input.repo,
          labels: input.labels.join(','),
          state: 'all',
          per_page: 100,
        });
        const mine = data.find((i) => i.body?.includes(marker));
        if (mine) return { number: mine.number, url: mine.html_url, created: false };
        const { data: created } = await gh.rest.issues.create({
          owner: input.owner,
          repo: input.repo,
          title: input.title,
          body: checkText(`${input.body}\n\n${marker}`),
          labels: input.labels,
        });
        return { number: created.number, url: created.html_url, created: true };
      } catch (err) {
        throw gitHubFailure(err, `open an issue on ${input.owner}/${input.repo}`);
      }
    },
  };
};

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
