/**
 * Keeps GitHub in step with a release (workflow code): a Deployment created when the release
 * starts, `in_progress` while it runs, then `success` or `failure` with the reason; and (patch
 * `github-check-runs`, GitHub App credentials) a check run on the deployed commit that ends with
 * the release report. GitHub is told, not asked: a GitHub that stays unreachable after the
 * retries is logged, and the release goes on.
 */
import { CancellationScope, log, patched, workflowInfo } from '@temporalio/workflow';
import type { DeploymentState } from '../activities/github';
import { releaseReport } from '../core/report/release-report';
import type { GitHubDeploymentTarget, ReleaseFailureDetails, ReleaseResult, ReleaseStatus } from '../core/release/types';
import { github as gh } from './activity-proxies';

export class DeploymentReporter {
  private deploymentId?: number;
  private checkRunId?: number;
  /** The release's live status, read when the report is written. */
  status?: ReleaseStatus;

  constructor(
    private readonly target: GitHubDeploymentTarget,
    private readonly environment: string,
  ) {}

  private get where() {
    return { owner: this.target.owner, repo: this.target.repo };
  }

  async start(description: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    const releaseKey = `${workflowId}/${runId}`;
    let sha: string | undefined;
    await this.quietly('create the deployment', async () => {
      const d = await gh.ensureDeployment({ ...this.where, ref: this.target.ref, environment: this.environment, releaseKey, description });
      this.deploymentId = d.id;
      sha = d.sha;
    });
    await this.deploymentStatus('in_progress', description);
    if (sha && patched('github-check-runs')) {
      const headSha = sha;
      await this.quietly('create the check run', async () => {
        const r = await gh.ensureCheckRun({
          ...this.where,
          headSha,
          name: `autoglm-deploy / ${this.environment}`,
          externalId: releaseKey,
          title: description,
          summary: `${description}; the report follows when it ends.`,
          ...(this.target.logUrl ? { detailsUrl: this.target.logUrl } : {}),
        });
        if (r.skipped) log.info(`GitHub: no check run: ${r.skipped}`);
        this.checkRunId = r.id;
      });
    }
  }

  async finish(result: ReleaseResult): Promise<void> {
    const ok = result.outcome !== 'rolled-back';
    const headline = !ok
      ? `rolled back: ${result.reason ?? 'aborted'}`
      : result.outcome === 'unchanged'
        ? `${result.version} is already serving`
        : `${result.version} promoted (${result.mode ?? 'canary'})`;
    await this.deploymentStatus(ok ? 'success' : 'failure', headline);
    await this.completeCheck(ok, ok ? headline : `${result.version} ${headline}`, result.status);
  }

  async fail(reason: string, failure?: ReleaseFailureDetails): Promise<void> {
    await this.deploymentStatus('failure', reason);
    await this.completeCheck(false, reason, this.status, failure);
  }

  private async completeCheck(
    ok: boolean,
    headline: string,
    status: ReleaseStatus | undefined,
    failure?: ReleaseFailureDetails,
  ): Promise<void> {
    if (this.checkRunId === undefined || !status) return;
    const checkRunId = this.checkRunId;
    const report = releaseReport(status, { ok, headline, ...(failure ? { failure } : {}) });
    await this.quietly('complete the check run', () =>
      gh.completeCheckRun({
        ...this.where,
        checkRunId,
        conclusion: ok ? 'success' : 'failure',
        title: report.title,
        summary: report.summary,
      }),
    );
  }

  private async deploymentStatus(state: DeploymentState, description: string): Promise<void> {
    if (this.deploymentId === undefined) return;
    const deploymentId = this.deploymentId;
    await this.quietly(`set the deployment ${state}`, () =>
      gh.setDeploymentStatus({
        ...this.where,
        deploymentId,
        state,
        description,
        ...(this.target.logUrl ? { logUrl: this.target.logUrl } : {}),
        ...(this.target.environmentUrl ? { environmentUrl: this.target.environmentUrl } : {}),
      }),
    );
  }

  /** Reporting must not fail the release, nor be cut short by its cancellation. */
  private async quietly(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await CancellationScope.nonCancellable(fn);
    } catch (err) {
      log.warn(`GitHub: could not ${what}`, { error: (err as Error).message });
    }
  }
}
