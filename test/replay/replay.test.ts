import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// Recorded histories of real runs (temporal workflow show -o json). Every one must replay against
// today's workflow code: a change that would break executions in flight fails here.
const HISTORIES = join(__dirname, 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
const load = (file: string) => JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as { events: Record<string, unknown>[] };

describe('replay of recorded workflow histories', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  });

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('replays %s', async (file) => {
    // Under the id it ran with: child workflows (a bake's observer) are named after their parent.
    const history = load(file);
    const started = history.events[0]?.workflowExecutionStartedEventAttributes as { workflowId?: string } | undefined;
    await Worker.runReplayHistory({ workflowBundle }, history, started?.workflowId ?? file);
  });

  it('holds no secret: payloads are base64 JSON, so both forms are searched', () => {
    const secrets = [/ghs_|ghp_|github_pat_/, /PRIVATE KEY/, /COSIGN_PASSWORD|GITHUB_TOKEN=/];
    for (const file of files) {
      const raw = readFileSync(join(HISTORIES, file), 'utf8');
      const decoded = [...raw.matchAll(/"data": "([A-Za-z0-9+/=]+)"/g)]
        .map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'))
        .join('\n');
      for (const secret of secrets) expect({ file, found: secret.test(raw) || secret.test(decoded) }).toEqual({ file, found: false });
    }
  });

  it('detects a history the code no longer matches', async () => {
    const history = load(files.find((f) => f.startsWith('inspect-gpu-pools.ok'))!);
    const scheduled = history.events.find((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED')!;
    (scheduled.activityTaskScheduledEventAttributes as { activityType: { name: string } }).activityType.name = 'somethingElse';
    await expect(Worker.runReplayHistory({ workflowBundle }, history, 'tampered')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
