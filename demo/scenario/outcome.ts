/** What a scenario step came to, and whether that is what the scenario expected. Pure. */
import type { z } from 'zod';
import type { ReleaseFailureDetails } from '../../core/release/types';
import type { ReleaseOutcomeExpected, RollbackOutcomeExpected } from './format';

export interface Observed<O extends string> {
  outcome: O;
  /** Why, as the pipeline said it (empty when it just succeeded). */
  reason: string;
  version?: string;
}

type ReleaseOutcome = z.infer<typeof ReleaseOutcomeExpected>;
type RollbackOutcome = z.infer<typeof RollbackOutcomeExpected>;

/**
 * A release workflow's failure, from its typed details: rolled back once something was deployed,
 * refused before (image, capacity, spec). A failure without them (a workflow ended by other
 * means) counts as refused, with its message as the reason.
 */
export function releaseFailureOutcome(failure: ReleaseFailureDetails | undefined, message: string): Observed<ReleaseOutcome> {
  return { outcome: failure?.outcome ?? 'refused', reason: message };
}

export interface Expectation<O extends string> {
  outcome: O;
  reason?: string | undefined;
  version?: string | undefined;
}

/** Empty when `observed` meets `expected`; otherwise each difference, said plainly. */
export function mismatches<O extends ReleaseOutcome | RollbackOutcome>(expected: Expectation<O>, observed: Observed<O>): string[] {
  const out: string[] = [];
  if (observed.outcome !== expected.outcome)
    out.push(`expected ${expected.outcome}, got ${observed.outcome}${observed.reason ? ` (${observed.reason})` : ''}`);
  if (expected.reason !== undefined && !observed.reason.toLowerCase().includes(expected.reason.toLowerCase()))
    out.push(`expected a reason containing "${expected.reason}", got ${observed.reason ? `"${observed.reason}"` : 'none'}`);
  if (expected.version !== undefined && observed.version !== expected.version)
    out.push(`expected version ${expected.version}, got ${observed.version ?? 'none'}`);
  return out;
}
