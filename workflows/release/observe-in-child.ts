/**
 * A canary step's bake in its own workflow (observeCanaryStep), so that the release's history
 * stays small however long the bake. The release names it in its status while it runs, takes its
 * evidence when it ends, holds for a person when it asks, and fails as the inline bake did.
 */
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import type { ServiceSpec } from '../../core/service-spec';
import type { StepProgress, StepUnderObservation } from '../canary-analysis';
import { withObservation } from '../../core/release/observation';
import type { StepObservation } from '../../core/release/types';
import type { observeCanaryStep } from '../observe-step';
import type { ReleaseRun } from './run';

export async function observeInChild(run: ReleaseRun, spec: ServiceSpec, step: StepUnderObservation): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  let resumed: { progress: StepProgress; observation: StepObservation } | undefined;
  for (let attempt = 1; ; attempt++) {
    // Unique per release run, step and resume: a later release of the service never meets it.
    const observer = `${workflowId}/${runId}/step-${step.index + 1}${attempt > 1 ? `.${attempt}` : ''}`;
    run.status.observer = observer;
    let outcome: Awaited<ReturnType<typeof observeCanaryStep>>;
    try {
      outcome = await executeChild<typeof observeCanaryStep>('observeCanaryStep', {
        workflowId: observer,
        args: [{ spec, step, ...(resumed ?? {}) }],
      });
    } finally {
      delete run.status.observer;
    }
    // The status object itself: the GitHub report and the status query hold it.
    Object.assign(run.status, withObservation(run.status, outcome.observation));
    if (outcome.kind === 'passed') return;
    if (outcome.kind === 'failed')
      throw ApplicationFailure.nonRetryable(outcome.message, outcome.type, ...(outcome.details ? [outcome.details] : []));
    resumed = { progress: outcome.progress, observation: outcome.observation };
    await run.holdForPerson(outcome.reason);
  }
}
