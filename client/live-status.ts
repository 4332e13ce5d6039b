import type { WorkflowClient } from '@temporalio/client';
import type { ReleaseStatus } from '../core/release/types';
import { observationQuery } from '../workflows/messages';

/**
 * A release's status with the live evidence of the step being baked: a bake runs in its own
 * workflow (the status names it as `observer`) and the release takes its evidence only when the
 * step ends. If the observer does not answer (it just ended), the release's own status stands.
 */
export async function withLiveObservation(client: WorkflowClient, status: ReleaseStatus): Promise<ReleaseStatus> {
  if (!status.observer) return status;
  const live = await client
    .getHandle(status.observer)
    .query(observationQuery)
    .catch(() => undefined);
  if (!live) return status;
  const liveTests = live.loadTests ?? [];
  // The release may already hold this step's earlier reports (from before a hold): the observer's are newer.
  const earlier = (status.loadTests ?? []).filter((t) => !liveTests.some((l) => l.step === t.step));
  const loadTests = [...earlier, ...liveTests];
  return {
    ...status,
    ...(live.analysis ? { analysis: live.analysis } : {}),
    ...(live.golden ? { golden: live.golden } : {}),
    ...(live.lastReason ? { lastReason: live.lastReason } : {}),
    ...(loadTests.length ? { loadTests } : {}),
  };
}
