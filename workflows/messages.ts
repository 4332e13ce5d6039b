/**
 * Signals, queries and updates of the workflows: the API that the CLI, the webhook, activities
 * (an on-call rollback preempts a release) and tests use to steer and read them. Only the
 * definitions live here; the types they carry live in core/. Wire names ('pause', 'status', …)
 * never change: workflows in flight depend on them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DrillStatus } from '../core/drill/types';
import type { GpuLedger, GpuReservation } from '../core/gpu-reservations';
import type { ProtectStatus } from '../core/protect/types';
import type { RestoreStatus } from '../core/restore/types';
import type { ReleasePhase, ReleaseStatus, StepObservation } from '../core/release/types';
import type { RollbackStatus } from '../core/rollback/types';

export const pauseSignal = defineSignal<[{ reason?: string }]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const promoteUpdate = defineUpdate<{ accepted: true; step: number }, [{ approver: string }]>('promote');
export const abortUpdate = defineUpdate<{ accepted: true; phase: ReleasePhase }, [{ reason: string; by?: string }]>('abort');
export const statusQuery = defineQuery<ReleaseStatus>('status');
/** From an on-call rollback: stop now and roll back (as abort), unless already rolling back or ended. */
export const preemptSignal = defineSignal<[{ reason: string; by: string }]>('preempt');

/** A canary step's observation in flight (the release's status names it as `observer`). */
export const observationQuery = defineQuery<StepObservation>('observation');

/** The GPU ledger of a pool (gpuPoolLedger): reservations of releases in flight. */
export const gpuLedgerQuery = defineQuery<GpuLedger>('gpu-ledger');
export const reserveGpusUpdate = defineUpdate<
  { ok: boolean; version: number },
  [{ reservation: GpuReservation; readVersion: number; slack?: number }]
>('reserve-gpus');
export const releaseGpusSignal = defineSignal<[{ holder: string; runId?: string }]>('release-gpus');

export const rollbackStatusQuery = defineQuery<RollbackStatus>('rollback-status');

export const drillStatusQuery = defineQuery<DrillStatus>('drill-status');

export const protectStatusQuery = defineQuery<ProtectStatus>('protect-status');
export const restoreStatusQuery = defineQuery<RestoreStatus>('restore-status');
