/**
 * A canary step's bake in its own workflow (observeCanaryStep), so that the release's history
 * stays small however long the bake. The release names it in its status while it runs, takes its
 * evidence when it ends, holds for a person when it asks, and fails as the inline bake did.
 */
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import type { ServiceSpec } from '../../core/service-spec';
import type { StepProgress, StepUnderObservation } from '../canary-analysis';
import type { StepObservation } from '../messages';
import type { observeCanaryStep } from '../observe-step';
import type { ReleaseRun } from './run';

export async function observeInChild(run: ReleaseRun, spec: ServiceSpec, step: StepUnderObservation): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  let resumed: { progress: StepProgress; observation: StepObservation } | undefined;
  const loadTestsBefore = run.status.loadTests ?? [];
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
    takeEvidence(run, outcome.observation, loadTestsBefore);
    if (outcome.kind === 'passed') return;
    if (outcome.kind === 'failed')
      throw ApplicationFailure.nonRetryable(outcome.message, outcome.type, ...(outcome.details ? [outcome.details] : []));
    resumed = { progress: outcome.progress, observation: outcome.observation };
    await run.holdForPerson(outcome.reason);
  }
}

function takeEvidence(run: ReleaseRun, observation: StepObservation, loadTestsBefore: NonNullable<StepObservation['loadTests']>): void {
  if (observation.analysis) run.status.analysis = observation.analysis;
  if (observation.golden) run.status.golden = observation.golden;
  if (observation.lastReason) run.status.lastReason = observation.lastReason;
  if (observation.loadTests?.length) run.status.loadTests = [...loadTestsBefore, ...observation.loadTests];
}
