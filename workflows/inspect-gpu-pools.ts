import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { ErrorType } from '../core/errors';
import type { PoolCapacity } from '../core/gpu-capacity';
import { describeIssues } from '../core/validation';
import { poolInspection } from './activity-proxies';

export const InspectGpuPoolsInput = z.object({
  pools: z.array(z.string().min(1)).min(1, 'name at least one pool'),
  poolLabel: z.string().min(1).default('pool'),
});
export type InspectGpuPoolsInput = z.input<typeof InspectGpuPoolsInput>;

/** Reports allocatable, requested and free GPUs per pool: the pre-flight view of a release. */
export async function inspectGpuPools(input: InspectGpuPoolsInput): Promise<PoolCapacity[]> {
  const parsed = InspectGpuPoolsInput.safeParse(input);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input: ${describeIssues(parsed.error)}`, ErrorType.InvalidInput);
  const { pools, poolLabel } = parsed.data;
  return Promise.all(pools.map((pool) => poolInspection.readPoolCapacity({ pool, poolLabel })));
}
