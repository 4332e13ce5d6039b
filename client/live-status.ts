import type { WorkflowClient } from '@temporalio/client';
import { withObservation } from '../core/release/observation';
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
  return live ? withObservation(status, live) : status;
}
