/**
 * One release's state and its message handlers: the status a query reads, pause / resume,
 * promote at a manual gate, abort and an on-call rollback's preemption. Handlers only set state;
 * the runbook acts on it.
 */
import { ApplicationFailure, CancellationScope, condition, setHandler } from '@temporalio/workflow';
import type { ErrorType } from '../../core/errors';
import { TERMINAL_RELEASE_PHASES, type ReleaseFailureDetails, type ReleasePhase, type ReleaseStatus } from '../../core/release/types';
import type { ObservedRun } from '../canary-analysis';
import { abortUpdate, pauseSignal, preemptSignal, promoteUpdate, resumeSignal, statusQuery } from '../messages';

const endedOrEnding = (phase: ReleasePhase) => TERMINAL_RELEASE_PHASES.includes(phase) || phase === 'rolling-back';

export class ReleaseRun implements ObservedRun {
  readonly status: ReleaseStatus;
  paused = false;
  abort?: { reason: string; by?: string };
  promoteRequested = false;
  awaitingGate = false;
  /** Who may promote at a gate (from the spec, once it is valid) and who started the release. */
  gatePolicy?: { approvers?: string[]; fourEyes: boolean; requestedBy?: string };
  private phaseSince = Date.now();
  /** Everything that moves the release forward runs in it; an abort cancels it. */
  readonly forward = new CancellationScope();

  constructor(spec: { service: string; namespace: string; version: string }) {
    this.status = {
      service: spec.service,
      namespace: spec.namespace,
      version: spec.version,
      phase: 'planning',
      paused: false,
      weights: { stable: 100, canary: 0 },
      replicas: { stable: { desired: 0, ready: 0 }, canary: { desired: 0, ready: 0 } },
      startedAt: new Date().toISOString(),
      timings: {},
    };
  }

  registerHandlers(): void {
    setHandler(statusQuery, () => this.status);
    setHandler(pauseSignal, ({ reason }) => this.pause(reason));
    setHandler(resumeSignal, () => {
      this.paused = false;
      this.status.paused = false;
    });
    setHandler(
      promoteUpdate,
      ({ approver }) => {
        this.promoteRequested = true;
        const step = this.status.step?.index ?? 0;
        (this.status.approvals ??= []).push({ step, by: approver, at: new Date().toISOString() });
        return { accepted: true as const, step };
      },
      {
        validator: ({ approver }) => {
          if (!this.awaitingGate) throw new Error(`nothing to promote: the release is ${this.status.phase}, not at a manual gate`);
          refuseApprover(approver, this.gatePolicy);
        },
      },
    );
    setHandler(
      abortUpdate,
      ({ reason, by }) => {
        this.abort = { reason, ...(by ? { by } : {}) };
        this.forward.cancel();
        return { accepted: true as const, phase: this.status.phase };
      },
      {
        validator: ({ reason }) => {
          if (!reason?.trim()) throw new Error('an abort needs a reason');
          if (endedOrEnding(this.status.phase)) throw new Error(`too late to abort: the release is ${this.status.phase}`);
        },
      },
    );
    // A signal, not an update: it comes from the rollback workflow, which waits for this one to end anyway.
    setHandler(preemptSignal, ({ reason, by }) => {
      if (endedOrEnding(this.status.phase) || this.abort) return;
      this.abort = { reason: `preempted by an on-call rollback: ${reason}`, by };
      this.forward.cancel();
    });
  }

  pause(reason?: string): void {
    this.paused = true;
    this.status.paused = true;
    this.status.lastReason = `paused${reason ? `: ${reason}` : ''}`;
  }

  async holdForPerson(reason: string): Promise<void> {
    this.pause(reason);
    await this.checkpoint();
  }

  setPhase(phase: ReleasePhase): void {
    const now = Date.now();
    const prev = this.status.phase;
    this.status.timings[prev] = (this.status.timings[prev] ?? 0) + (now - this.phaseSince);
    this.phaseSince = now;
    this.status.phase = phase;
  }

  /** Between moves: holds while paused. Inside the forward scope, so an abort ends the hold. */
  async checkpoint(): Promise<void> {
    if (this.paused) await condition(() => !this.paused);
  }

  /**
   * Ends the release as refused, before anything changed: the reason in the status, and a
   * non-retryable failure whose details say so (readers never parse the message).
   */
  refuse(
    message: string,
    type: ErrorType | string,
    reason = message,
    extra: Pick<ReleaseFailureDetails, 'missingGpus'> = {},
  ): ApplicationFailure {
    const failedIn = this.status.phase;
    this.status.lastReason = reason;
    this.setPhase('failed');
    const details: ReleaseFailureDetails = { outcome: 'refused', failedIn, reason, ...extra, status: this.status };
    return ApplicationFailure.nonRetryable(message, type, details);
  }
}

/** A gate's approver must be named, on the spec's list if it has one, and (four-eyes) not the release's requester. */
function refuseApprover(approver: string | undefined, policy: ReleaseRun['gatePolicy']): void {
  if (!approver?.trim()) throw new Error('a promotion needs an approver');
  if (!policy) return;
  if (policy.approvers && !policy.approvers.includes(approver))
    throw new Error(`${approver} may not approve this release (approvers: ${policy.approvers.join(', ')})`);
  if (policy.fourEyes && policy.requestedBy === approver)
    throw new Error(`four-eyes: ${approver} started this release, so another approver must promote it`);
}
