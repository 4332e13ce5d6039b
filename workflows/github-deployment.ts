/**
 * Keeps a GitHub Deployment in step with a release (workflow code): created when the release
 * starts, `in_progress` while it runs, then `success` or `failure` with the reason. GitHub is
 * told, not asked: a GitHub that stays unreachable after the retries is logged, and the release
 * goes on.
 */
import { CancellationScope, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DeploymentState, GitHubActivities } from '../activities/github';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';
import type { GitHubDeploymentTarget, ReleaseResult } from './messages';

const gh = proxyActivities<GitHubActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

export class DeploymentReporter {
  private deploymentId?: number;

  constructor(private readonly target: GitHubDeploymentTarget, private readonly environment: string) {}

  private get where() {
    return { owner: this.target.owner, repo: this.target.repo };
  }

  async start(description: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await this.quietly('create the deployment', async () => {
      this.deploymentId = (await gh.ensureDeployment({ ...this.where, ref: this.target.ref, environment: this.environment, releaseKey: `${workflowId}/${runId}`, description })).id;
    });
    await this.status('in_progress', description);
  }

  async finish(result: ReleaseResult): Promise<void> {
    if (result.outcome === 'rolled-back') await this.status('failure', `rolled back: ${result.reason ?? 'aborted'}`);
    else await this.status('success', result.outcome === 'unchanged' ? `${result.version} is already serving` : `${result.version} promoted (${result.mode ?? 'canary'})`);
  }

  async fail(reason: string): Promise<void> {
    await this.status('failure', reason);
  }

  private async status(state: DeploymentState, description: string): Promise<void> {
    if (this.deploymentId === undefined) return;
    const deploymentId = this.deploymentId;
    await this.quietly(`set the deployment ${state}`, () =>
      gh.setDeploymentStatus({
        ...this.where, deploymentId, state, description,
        ...(this.target.logUrl ? { logUrl: this.target.logUrl } : {}), ...(this.target.environmentUrl ? { environmentUrl: this.target.environmentUrl } : {}),
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
