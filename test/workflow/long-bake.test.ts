import { ErrorType } from '../../core/errors';
import { releaseWorkflowId, type ReleaseResult } from '../../core/release/types';
import type { ServiceSpecInput } from '../../core/service-spec';
import { readReleaseStatus } from '../../client/release-status';
import { statusQuery } from '../../workflows/messages';
import { failure, healthy, slow, spec, world } from './analysis-world';
import { useTimeSkipping } from './time-skipping';

// A bake of a day, checked every minute: the step's observation continues-as-new as its history
// grows, and the release's own history stays small, whatever the bake's length.
const ts = useTimeSkipping();

const longBake = (): ServiceSpecInput => ({ ...spec({ interval: '1m', noDataBudget: '5m' }, '24h'), loadTest: { rate: 1 } });

async function release(w: ReturnType<typeof world>, s: ServiceSpecInput) {
  return ts.withWorker(w.activities, async (taskQueue) => {
    const handle = await ts.env.client.workflow.start('releasePipeline', {
      taskQueue,
      workflowId: releaseWorkflowId('ns', 'llm'),
      args: [{ spec: s }],
    });
    const result = (await handle.result().catch((e: unknown) => e)) as ReleaseResult | Error;
    const history = await handle.fetchHistory();
    return { result, releaseEvents: history.events?.length ?? 0 };
  });
}

describe('long bakes in their own workflow (time skipping)', () => {
  it('is promoted after 1,440 checks, over several observation runs, with a small release history', async () => {
    const w = world(healthy);
    const { result, releaseEvents } = await release(w, longBake());
    expect(result).toMatchObject({ outcome: 'promoted' });
    expect(w.checks()).toBe(1440);
    // About eight events a check: 11,500 events in all, cut into runs of about 2,000.
    expect(w.analysisRuns.size).toBeGreaterThanOrEqual(5);
    expect(releaseEvents).toBeLessThan(200);
    // Load ran through the day in 15-minute slices whose seeds follow on across runs; the newest reports are kept.
    const seeds = w.cluster.calls.filter((c) => c.name === 'runLoadTest').map((c) => (c.input as { seed: number }).seed);
    expect(seeds).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
    const { status } = result as ReleaseResult;
    expect(status.loadTests).toHaveLength(4); // LOAD_REPORTS_KEPT;
    expect(status.loadTests!.at(-1)!.markdown).toMatch(/hold 95|Load test, step 1 \(hold 95\)/);
    expect(status.analysis).toMatchObject({ step: 1, decision: { action: 'continue' } });
    expect(status.observer).toBeUndefined();
  });

  it('rolls back at the check that fails 10 h in, with its evidence, from a continued run', async () => {
    const w = world((n) => (n < 600 ? healthy() : slow()));
    const { result, releaseEvents } = await release(w, longBake());
    const err = await failure(Promise.reject(result));
    expect(err.type).toBe(ErrorType.AnalysisFailed);
    expect(err.message).toMatch(/^release rolled back: analysis at step 1: P95 latency 3200 ms > 2000 ms/);
    expect(w.checks()).toBe(601);
    expect(w.analysisRuns.size).toBeGreaterThanOrEqual(2);
    expect(releaseEvents).toBeLessThan(200);
    const [details] = err.details as [{ analysis: { decision: { action: string } }; status: { loadTests?: unknown[] } }];
    expect(details.analysis.decision.action).toBe('rollback');
    expect(details.status.loadTests?.length).toBeGreaterThan(0);
  });

  it("shows the bake's live analysis in `release status`, read from the step's observer", async () => {
    const w = world(healthy);
    await ts.withWorker(w.activities, async (taskQueue) => {
      const workflowId = releaseWorkflowId('ns', 'llm');
      const handle = await ts.env.client.workflow.start('releasePipeline', { taskQueue, workflowId, args: [{ spec: spec({}, '1m') }] });
      // Real time passes until the test waits on the result: the first check comes after 5 s.
      let live;
      for (let i = 0; i < 200 && !live?.analysis; i++) {
        live = (await readReleaseStatus(ts.env.client, workflowId, 5_000)).status;
        if (!live.analysis) await new Promise((r) => setTimeout(r, 100));
      }
      const own = await handle.query(statusQuery);
      expect(own.observer).toMatch(/^release:ns\.llm\/.+\/step-1$/);
      expect(own.analysis).toBeUndefined(); // the release takes the evidence when the step ends
      expect(live).toMatchObject({ phase: 'canary', analysis: { step: 1, decision: { action: 'continue' } } });
      expect((await handle.result()) as ReleaseResult).toMatchObject({ outcome: 'promoted' });
    });
  });
});
