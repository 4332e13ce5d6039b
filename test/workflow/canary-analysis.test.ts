import { ErrorType } from '../../core/errors';
import type { ServiceSpecInput } from '../../core/service-spec';
import { resumeSignal, statusQuery } from '../../workflows/messages';
import { releaseWorkflowId } from '../../core/release/types';
import { failure, healthy, runRelease, silent, slow, spec, world } from './analysis-world';
import { useTimeSkipping } from './time-skipping';

// The canary-analysis loop of a step, with Prometheus answers scripted per check (the real
// checks and decision turn them into verdicts) on the time-skipping server.
const ts = useTimeSkipping();

const run = (w: ReturnType<typeof world>, s: ServiceSpecInput) => runRelease(ts, w, s);

describe('canary analysis in the release workflow (time skipping)', () => {
  it('promotes a healthy canary after its bake, having checked every interval', async () => {
    const w = world(healthy);
    const result = await run(w, spec());
    expect(result.outcome).toBe('promoted');
    expect(w.checks()).toBe(12); // 1 min bake / 5 s
    expect(result.status.analysis).toMatchObject({ step: 1, decision: { action: 'continue' } });
  });

  it('rolls back at the first failing check, not at the end of the step, saying why', async () => {
    const w = world((n) => (n < 3 ? healthy() : slow()), undefined);
    const err = await failure(run(w, spec({}, '10m')));
    expect(err.type).toBe(ErrorType.AnalysisFailed);
    expect(err.message).toMatch(/^release rolled back: analysis at step 1: P95 latency 3200 ms > 2000 ms/);
    expect(w.checks()).toBe(4);
    // The evidence is in the failure itself, not only in the status query.
    const [details] = err.details as [
      { analysis: { decision: { action: string }; checks: { name: string; value?: number; threshold?: number; query?: string }[] } },
    ];
    expect(details).toMatchObject({
      outcome: 'rolled-back',
      failedIn: 'canary',
      reason: expect.stringMatching(/^analysis at step 1: P95 latency/),
    });
    expect(details.analysis.decision.action).toBe('rollback');
    expect(details.analysis.checks.find((c) => c.name === 'P95 latency')).toMatchObject({
      value: 3200,
      threshold: 2000,
      query: 'histogram_quantile(0.95, …)',
    });
    // Traffic to the stable is the first thing after the verdict.
    const names = w.cluster.calls.map((c) => c.name);
    expect(names.slice(names.lastIndexOf('analyzeCanary') + 1, names.lastIndexOf('analyzeCanary') + 3)).toEqual([
      'applyObjects',
      'deleteObjects',
    ]);
  });

  it('never promotes on missing data: holds past the bake, then rolls back when the budget is spent', async () => {
    const w = world(silent);
    const err = await failure(run(w, spec({}, '10s')));
    expect(err.type).toBe(ErrorType.AnalysisInconclusive);
    expect(err.message).toMatch(/no verdict for 30s at step 1: Prometheus could not be queried: connect ECONNREFUSED/);
    expect(w.cluster.calls.some((c) => c.name === 'settleTraffic')).toBe(false);
  });

  it('holds past the bake while data is missing and promotes once it passes', async () => {
    const w = world((n) => (n < 4 ? silent() : healthy()));
    const result = await run(w, spec({}, '10s'));
    expect(result.outcome).toBe('promoted');
    expect(w.checks()).toBe(5);
  });

  it('with onNoData: pause, waits for a person instead of rolling back', async () => {
    const w = world((n) => (n < 8 ? silent() : healthy()));
    const result = await ts.withWorker(w.activities, async (taskQueue) => {
      const handle = await ts.env.client.workflow.start('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ onNoData: 'pause' }, '10s') }],
      });
      for (;;) {
        const st = await handle.query(statusQuery);
        if (st.paused) {
          expect(st.lastReason).toMatch(/paused: analysis no verdict for 30s/);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await handle.signal(resumeSignal);
      return handle.result();
    });
    expect(result.outcome).toBe('promoted');
  });

  it('rolls back when golden prompts are answered differently', async () => {
    const w = world(healthy, { stable: 'tap settings', canary: 'open search' });
    const err = await failure(run(w, spec({ goldenPrompts: ['Open the settings app'] })));
    expect(err.type).toBe(ErrorType.AnalysisFailed);
    expect(err.message).toMatch(
      /1 of 1 golden prompts answered differently at temperature 0 \(first: "Open the settings app": stable "tap settings…", canary "open search…"\)/,
    );
    expect(w.checks()).toBe(0);
  });

  it("sends the route's credentials with load and golden prompts as a Secret reference, never a token", async () => {
    const w = world(healthy);
    const credentials = { bearerToken: { secretKeyRef: { name: 'route-token', key: 'token' } } };
    const s = {
      ...spec({ goldenPrompts: ['Open the settings app'] }),
      loadTest: { rate: 1 },
      rollout: {
        traffic: { kind: 'gateway-api' as const, gateway: { name: 'gw' }, hostnames: ['llm.example.com'], credentials },
        steps: [{ weight: 50, bake: '1m' }],
      },
    };
    expect((await run(w, s)) as { outcome: string }).toMatchObject({ outcome: 'promoted' });
    const sent = w.cluster.calls.filter((c) => c.name === 'goldenPrompts' || c.name === 'runLoadTest');
    expect(sent.map((c) => c.name).sort()).toEqual(['goldenPrompts', 'runLoadTest']);
    for (const c of sent) expect(c.input).toMatchObject({ credentials });
    expect(sent.find((c) => c.name === 'runLoadTest')!.input).toMatchObject({ viaHostname: 'llm.example.com' });
  });
});
