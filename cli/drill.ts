import { WorkflowFailedError, type Client } from '@temporalio/client';
import {
  InvalidDrillError,
  createDrillSchedule,
  followDrill,
  listDrillSchedules,
  startDrill,
  updateDrillSchedule,
  validateDrill,
  type DrillCadence,
} from '../client/drills';
import type { DrillSpecInput } from '../core/drill/spec';
import { parseYamlText } from '../core/spec-file';
import type { DrillStatus } from '../core/drill/types';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';
import { printWhenChanged } from './progress';
import { readInputFile } from './release';
import { failureText } from '../client/workflow-failure';

/** A drill spec file (YAML or JSON), checked; its text is what the workflow gets. */
export function readDrillFile(file: string): DrillSpecInput {
  const spec = readInputFile(file, parseYamlText) as DrillSpecInput;
  try {
    validateDrill(spec);
  } catch (err) {
    if (err instanceof InvalidDrillError) throw new CliError(`${file}: ${err.message}`, EXIT.invalid);
    throw err;
  }
  return spec;
}

const statusLine = (s: DrillStatus, elapsedMs: number) =>
  [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s] drill ${s.phase}`,
    ...(s.backup ? [`backup ${s.backup.backupId} (${s.backup.files} files, ${(s.backup.bytes / 2 ** 20).toFixed(1)} MiB)`] : []),
    ...(s.figures ? [`RTO ${(s.figures.rtoMs / 1000).toFixed(1)} s, RPO ${(s.figures.rpoMs / 1000).toFixed(1)} s`] : []),
    ...(s.lastReason ? [s.lastReason] : []),
  ].join(' | ');

export interface DrillRunFlags extends TemporalFlags {
  wait: boolean;
  json?: boolean;
}

export const drillRun = (file: string, flags: DrillRunFlags) =>
  withClient(flags, async (client, taskQueue) => {
    const handle = await startDrill(client, readDrillFile(file), { taskQueue });
    if (!flags.json) console.log(`started ${handle.workflowId}`);
    if (!flags.wait) return EXIT.ok;
    const started = Date.now();
    const print = printWhenChanged();
    try {
      const r = await followDrill(handle, (st) => print(flags.json ? JSON.stringify(st) : statusLine(st, Date.now() - started)));
      console.log(
        flags.json
          ? JSON.stringify(r)
          : `${r.outcome}: RTO ${(r.figures.rtoMs / 1000).toFixed(1)} s (target ${r.figures.targets.rtoMs / 1000} s), RPO ${(r.figures.rpoMs / 1000).toFixed(1)} s (target ${r.figures.targets.rpoMs / 1000} s)${r.report?.issue ? `, issue #${r.report.issue}` : ''}`,
      );
      return r.outcome === 'passed' ? EXIT.ok : EXIT.failed;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      console.error(`drill failed: ${failureText(err)}`);
      return EXIT.failed;
    }
  });

export interface ScheduleFlags extends TemporalFlags {
  every?: string;
  cron?: string;
  paused?: boolean;
  note?: string;
  spec?: string;
  json?: boolean;
}

const cadence = (f: ScheduleFlags): DrillCadence | undefined =>
  f.every || f.cron ? { ...(f.every ? { every: f.every } : {}), ...(f.cron ? { cron: f.cron } : {}) } : undefined;

async function onSchedule(flags: TemporalFlags, fn: (client: Client, taskQueue: string) => Promise<string | void>): Promise<number> {
  return withClient(flags, async (client, taskQueue) => {
    try {
      const out = await fn(client, taskQueue);
      if (out) console.log(out);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof InvalidDrillError) throw new CliError(err.message, EXIT.invalid);
      if ((err as Error).name === 'ScheduleNotFoundError') throw new CliError((err as Error).message, EXIT.unavailable);
      if ((err as Error).name === 'ScheduleAlreadyRunning')
        throw new CliError(`${(err as Error).message}: update it instead`, EXIT.conflict);
      throw err;
    }
  });
}

export const scheduleCreate = (file: string, f: ScheduleFlags) =>
  onSchedule(f, async (client, taskQueue) => {
    const c = cadence(f);
    if (!c) throw new InvalidDrillError('give --every or --cron');
    const h = await createDrillSchedule(client, readDrillFile(file), c, {
      taskQueue,
      ...(f.paused ? { paused: true } : {}),
      ...(f.note ? { note: f.note } : {}),
    });
    return `created schedule ${h.scheduleId}${f.paused ? ' (paused)' : ''}`;
  });

export const scheduleUpdate = (id: string, f: ScheduleFlags) =>
  onSchedule(f, async (client) => {
    const c = cadence(f);
    if (!c && !f.spec) throw new InvalidDrillError('nothing to update: give --spec, --every or --cron');
    await updateDrillSchedule(client, id, { ...(f.spec ? { spec: readDrillFile(f.spec) } : {}), ...(c ? { cadence: c } : {}) });
    return `updated ${id}`;
  });

export const schedulePause = (id: string, f: ScheduleFlags) =>
  onSchedule(f, async (client) => (await client.schedule.getHandle(id).pause(f.note ?? 'paused from the CLI'), `paused ${id}`));
export const scheduleResume = (id: string, f: ScheduleFlags) =>
  onSchedule(f, async (client) => (await client.schedule.getHandle(id).unpause(f.note ?? 'resumed from the CLI'), `resumed ${id}`));
export const scheduleTrigger = (id: string, f: ScheduleFlags) =>
  onSchedule(f, async (client) => (await client.schedule.getHandle(id).trigger(), `triggered ${id}`));
export const scheduleDelete = (id: string, f: ScheduleFlags) =>
  onSchedule(f, async (client) => (await client.schedule.getHandle(id).delete(), `deleted ${id}`));
export const scheduleList = (f: ScheduleFlags) =>
  onSchedule(f, async (client) => {
    const all = await listDrillSchedules(client);
    if (f.json) return JSON.stringify(all);
    return all.length === 0
      ? 'no drill schedules'
      : all
          .map(
            (s) =>
              `${s.scheduleId}  ${s.paused ? 'paused' : 'active'}${s.note ? ` (${s.note})` : ''}  next ${s.next?.toISOString() ?? '-'}  last ${s.recent?.toISOString() ?? '-'}`,
          )
          .join('\n');
  });
