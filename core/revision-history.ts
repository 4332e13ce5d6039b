/**
 * A service's revision history: every revision a release promoted or a rollback restored, newest
 * first, with what is needed to deploy it again (the spec as deployed, image pinned). Choosing
 * the revision an on-call rollback returns to is pure logic, here. Pure.
 */
import type { ServiceSpecInput } from './service-spec';

export interface RevisionRecord {
  revision: string;
  version: string;
  /** The image as deployed, pinned by digest. */
  image: string;
  /** `release`: promoted by a release; `rollback`: restored by an on-call rollback. */
  kind: 'release' | 'rollback';
  at: string;
  by?: string;
  reason?: string;
  /** `<workflowId>/<runId>` that made it: the record's key (a retried activity adds nothing). */
  madeBy: string;
  spec: ServiceSpecInput;
  /** The GitHub repository and ref it was released from, when it was reported there. */
  github?: { owner: string; repo: string; ref: string };
}

/** Revisions kept per service. */
export const HISTORY_LIMIT = 20;

export function appendRevision(history: readonly RevisionRecord[], record: RevisionRecord, limit = HISTORY_LIMIT): RevisionRecord[] {
  if (history.some((r) => r.madeBy === record.madeBy)) return [...history];
  return [record, ...history].slice(0, limit);
}

export type RollbackChoice =
  | { kind: 'target'; record: RevisionRecord }
  /**
   * A release in flight was stopped and has put back what served when it started: that is the
   * rollback (nothing to redeploy); `record` is the serving revision's, when the history has it.
   */
  | { kind: 'kept'; revision: string; record?: RevisionRecord; reason: string }
  /** Nothing to do: the service already runs what was asked for. */
  | { kind: 'unchanged'; reason: string }
  /** `unknownService`: nothing serves and nothing was ever recorded: no such service. */
  | { kind: 'impossible'; reason: string; unknownService?: true };

/** A release the rollback stopped before it was promoted (it rolled itself back to what served before it). */
export interface StoppedRelease {
  version: string;
}

/**
 * `to` named: that revision (or version), if the history has it. Otherwise, when the rollback
 * stopped a release in flight, the revision serving when that release started, which the release
 * put back (the usual on-call intent: stop the new version, keep the stable). Otherwise the
 * revision that served before the one serving now; when the serving one was itself restored by a
 * rollback, asking again changes nothing (an on-call rollback started twice is harmless).
 */
export function chooseRollbackTarget(
  history: readonly RevisionRecord[],
  serving: string | undefined,
  to?: string,
  stopped?: StoppedRelease,
): RollbackChoice {
  if (to) {
    const record = history.find((r) => r.revision === to || r.version === to);
    if (!record)
      return {
        kind: 'impossible',
        reason: `revision ${to} is not in the service's history (known: ${history.map((r) => `${r.version} (${r.revision})`).join(', ') || 'none'})`,
      };
    if (record.revision === serving) return { kind: 'unchanged', reason: `${record.version} (${record.revision}) is already serving` };
    return { kind: 'target', record };
  }
  if (stopped && serving) {
    const record = history.find((r) => r.revision === serving);
    return {
      kind: 'kept',
      revision: serving,
      ...(record ? { record } : {}),
      reason: `release ${stopped.version} stopped before promotion; ${record ? `${record.version} (${serving})` : serving} kept serving`,
    };
  }
  const latest = history[0];
  if (latest && latest.revision === serving && latest.kind === 'rollback') {
    return {
      kind: 'unchanged',
      reason: `${latest.version} (${latest.revision}) is serving: restored by ${latest.by ?? 'a rollback'} at ${latest.at}`,
    };
  }
  const servingAt = history.findIndex((r) => r.revision === serving);
  const older = servingAt < 0 ? history : history.slice(servingAt + 1);
  // What served before the serving one, however it came (a revision rolled away from is skipped with it).
  const record = older.find((r) => r.revision !== serving);
  if (!record)
    return serving
      ? { kind: 'impossible', reason: `no revision was promoted before the serving one (${serving})` }
      : { kind: 'impossible', reason: 'the service has no serving revision and no history', unknownService: true };
  return { kind: 'target', record };
}

/**
 * The spec that puts a recorded revision back: as it was deployed (image pinned, so the same
 * revision), through its own steps — which the planner knew how to fit into the pool, swapping
 * on a full one — with no bake, gate or analysis: on call, time matters.
 */
export function rollbackSpec(spec: ServiceSpecInput): ServiceSpecInput {
  const steps = spec.rollout.steps.map((s) => ({
    ...(s.weight !== undefined ? { weight: s.weight } : {}),
    ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
  }));
  return { ...spec, rollout: { ...spec.rollout, steps } };
}
