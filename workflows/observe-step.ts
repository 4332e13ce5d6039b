/**
 * observeCanaryStep: one canary step's bake, as a child of the release. A check every interval
 * adds about eight events to a history, so a bake of hours would run the release into Temporal's
 * event limit; here the observation continues-as-new when its own history grows, and the
 * release's history holds one child per step whatever the bake's length.
 *
 * The step ends with an outcome, never a failure of its own: passed; hold (the analysis wants a
 * person: the release pauses, and a resume starts the observation again where it stood); or
 * failed, with the failure the release throws, so the release reads the same either way.
 */
import { ApplicationFailure, continueAsNew, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ServiceSpec } from '../core/service-spec';
import { observeStep, type ObservedRun, type StepProgress, type StepUnderObservation } from './canary-analysis';
import { failureMessage, failureType } from './failures';
import type { StepObservation } from '../core/release/types';
import { observationQuery } from './messages';

export interface ObserveStepInput {
  spec: ServiceSpec;
  step: StepUnderObservation;
  /** From the run this one continues, or the observation a hold interrupted. */
  progress?: StepProgress;
  observation?: StepObservation;
  /** Continue-as-new once the run's history has this many events (default 2,000; the server's suggestion also counts). */
  historyLimit?: number;
}

export type ObserveStepOutcome =
  | { kind: 'passed'; observation: StepObservation }
  | { kind: 'hold'; reason: string; progress: StepProgress; observation: StepObservation }
  | { kind: 'failed'; message: string; type: string; details?: unknown; observation: StepObservation };

/** A long bake's load runs in slices of at most this, so the history can be cut between two of them. */
export const LOAD_SLICE_MS = 15 * 60_000;
/** Load-test reports kept (the newest) across a long bake: the history must not carry them all. */
export const LOAD_REPORTS_KEPT = 4;
const DEFAULT_HISTORY_LIMIT = 2_000;

/** Thrown out of the observation to end this run: the release pauses, or the run continues as new. */
class HoldRequested extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
class ContinueRequested extends Error {}

export async function observeCanaryStep(input: ObserveStepInput): Promise<ObserveStepOutcome> {
  const observation: StepObservation = input.observation ?? {};
  setHandler(observationQuery, () => observation);
  const run: ObservedRun = {
    status: observation,
    holdForPerson: async (reason) => {
      throw new HoldRequested(reason);
    },
  };
  // Mutated in place by the observation: what the next run starts from.
  const progress = input.progress ?? { deadline: Date.now() + input.step.bakeMs, goldenDone: false, slices: 0 };
  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  try {
    await observeStep(run, input.spec, input.step, {
      progress,
      loadSliceMs: LOAD_SLICE_MS,
      afterCheck: (loadRunning) => {
        const info = workflowInfo();
        // Between load slices only: a slice under way would be cut off with the run.
        if (!loadRunning && (info.historyLength >= limit || info.continueAsNewSuggested)) throw new ContinueRequested();
      },
    });
    return { kind: 'passed', observation: trimmed(observation) };
  } catch (err) {
    if (err instanceof ContinueRequested) {
      return continueAsNew<typeof observeCanaryStep>({ ...input, progress, observation: trimmed(observation) });
    }
    if (err instanceof HoldRequested) return { kind: 'hold', reason: err.reason, progress, observation: trimmed(observation) };
    if (isCancellation(err)) throw err;
    return {
      kind: 'failed',
      message: failureMessage(err),
      type: failureType(err, 'ReleaseFailed'),
      ...(err instanceof ApplicationFailure && err.details?.length ? { details: err.details[0] } : {}),
      observation: trimmed(observation),
    };
  }
}

function trimmed(observation: StepObservation): StepObservation {
  if (observation.loadTests && observation.loadTests.length > LOAD_REPORTS_KEPT)
    observation.loadTests = observation.loadTests.slice(-LOAD_REPORTS_KEPT);
  return observation;
}
