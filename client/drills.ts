/**
 * Disaster-recovery drills from outside the worker: one on demand, or on a Temporal Schedule
 * (create, update, pause, resume, trigger, list, delete; overlapping runs are skipped).
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleSpec, type WorkflowHandle } from '@temporalio/client';
import { DrillSpec, type DrillSpecInput } from '../core/drill/spec';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { describeIssues } from '../core/validation';
import type { drDrill } from '../workflows/dr-drill';
import { drillStatusQuery } from '../workflows/messages';
import type { DrillResult, DrillStatus } from '../core/drill/types';
import { pollUntilSettled } from './follow';

export class InvalidDrillError extends Error {
  override name = 'InvalidDrillError';
}

export function validateDrill(spec: unknown): DrillSpec {
  const parsed = DrillSpec.safeParse(spec);
  if (!parsed.success) throw new InvalidDrillError(`invalid drill spec: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Polls a drill until it ends; returns its result or throws its failure. */
export const followDrill = (handle: WorkflowHandle<typeof drDrill>, onStatus: (s: DrillStatus) => void, intervalMs = 500) =>
  pollUntilSettled(
    () => handle.result() as Promise<DrillResult>,
    () => handle.query(drillStatusQuery),
    onStatus,
    intervalMs,
  );

export const drillScheduleId = (namespace: string, service: string) => `dr-drill:${namespace}.${service}`;
const drillWorkflowId = (namespace: string, service: string) => `dr-drill:${namespace}.${service}`;

/** One drill now (one per service at a time: a second start while one runs fails). */
export async function startDrill(client: Client, spec: DrillSpecInput, opts: { taskQueue?: string } = {}) {
  const valid = validateDrill(spec);
  return client.workflow.start<typeof drDrill>('drDrill', {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: `${drillWorkflowId(valid.namespace, valid.service)}:${Date.now().toString(36)}`,
    args: [{ spec }],
  });
}

export interface DrillCadence {
  /** e.g. "24h" (Temporal interval syntax) … */
  every?: string;
  /** … or a cron expression, e.g. "0 3 * * 1". */
  cron?: string;
}

function scheduleSpec(c: DrillCadence): ScheduleSpec {
  if (!!c.every === !!c.cron) throw new InvalidDrillError('give exactly one of --every and --cron');
  return c.every ? { intervals: [{ every: c.every as `${number}h` }] } : { cronExpressions: [c.cron!] };
}

export async function createDrillSchedule(
  client: Client,
  spec: DrillSpecInput,
  cadence: DrillCadence,
  opts: { taskQueue?: string; paused?: boolean; note?: string } = {},
) {
  const valid = validateDrill(spec);
  return client.schedule.create({
    scheduleId: drillScheduleId(valid.namespace, valid.service),
    spec: scheduleSpec(cadence),
    action: {
      type: 'startWorkflow',
      workflowType: 'drDrill',
      args: [{ spec }],
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId: drillWorkflowId(valid.namespace, valid.service),
    },
    // A drill still running when the next is due: skip the next, never two at once.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10m' },
    state: { paused: !!opts.paused, ...(opts.note ? { note: opts.note } : {}) },
    memo: { service: `${valid.namespace}/${valid.service}` },
  });
}

/** Replaces the drill spec and/or the cadence of an existing schedule. */
export async function updateDrillSchedule(client: Client, scheduleId: string, change: { spec?: DrillSpecInput; cadence?: DrillCadence }) {
  if (change.spec) validateDrill(change.spec);
  const next = change.cadence ? scheduleSpec(change.cadence) : undefined;
  await client.schedule.getHandle(scheduleId).update((prev) => ({
    ...prev,
    ...(next ? { spec: next } : {}),
    ...(change.spec && prev.action.type === 'startWorkflow' ? { action: { ...prev.action, args: [{ spec: change.spec }] } } : {}),
  }));
}

export async function listDrillSchedules(client: Client) {
  const out: { scheduleId: string; paused: boolean; note?: string; next?: Date; recent?: Date }[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('dr-drill:')) continue;
    out.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      ...(s.info.nextActionTimes[0] ? { next: s.info.nextActionTimes[0] } : {}),
      ...(s.info.recentActions.at(-1) ? { recent: s.info.recentActions.at(-1)!.takenAt } : {}),
    });
  }
  return out;
}
