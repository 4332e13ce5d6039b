import type { ReleaseStatus, StepObservation } from './types';

/**
 * The release's status with a canary step's observation taken in (when the step ends, or live
 * while it bakes): the observation's evidence is the newer, and its load-test reports replace
 * the status's reports of the same step (the status may hold them from before a hold).
 */
export function withObservation(status: ReleaseStatus, observation: StepObservation): ReleaseStatus {
  const observed = observation.loadTests ?? [];
  const earlier = (status.loadTests ?? []).filter((t) => !observed.some((o) => o.step === t.step));
  const loadTests = [...earlier, ...observed];
  return {
    ...status,
    ...(observation.analysis ? { analysis: observation.analysis } : {}),
    ...(observation.golden ? { golden: observation.golden } : {}),
    ...(observation.lastReason ? { lastReason: observation.lastReason } : {}),
    ...(loadTests.length ? { loadTests } : {}),
  };
}
