/** A scripted world for the canary analysis on the time-skipping server: Prometheus answers per check, the cluster faked. */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { AnalyzeCanaryInput } from '../../activities/metrics';
import { buildChecks, decide, type RawAnalysis } from '../../core/analysis/checks';
import type { ServiceSpecInput } from '../../core/service-spec';
import { releaseWorkflowId } from '../../core/release/types';
import { fakeCluster } from './fake-cluster';
import type { useTimeSkipping } from './time-skipping';
import { baseSpec } from './base-spec';

type TimeSkipping = ReturnType<typeof useTimeSkipping>;

export const healthy = (): RawAnalysis => ({
  canary: { requests: 200, p95E2eSeconds: 0.9, errorRatio: 0, gpuMemory: 0.6 },
  queries: { p95E2eSeconds: 'histogram_quantile(0.95, …)' },
  errorRatioByWindow: { 120000: 0, 15000: 0, 600000: 0, 60000: 0 },
  series: {},
});
export const slow = (): RawAnalysis => ({ ...healthy(), canary: { ...healthy().canary, p95E2eSeconds: 3.2 } });
export const silent = (): RawAnalysis => ({
  canary: {},
  queries: {},
  errorRatioByWindow: {},
  series: {},
  unreachable: 'connect ECONNREFUSED 127.0.0.1:9090',
});

/** Fake activities: the cluster, plus analyses answered by `script(n)` for the n-th check. */
export function world(script: (n: number) => RawAnalysis, golden?: { stable: string; canary: string }) {
  const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
  let n = 0;
  const checksAt: number[] = [];
  /** The workflow runs the checks were made from (the observation continues-as-new). */
  const analysisRuns = new Set<string>();
  const activities = {
    ...cluster.activities,
    analyzeCanary: async (input: AnalyzeCanaryInput) => {
      cluster.calls.push({ name: 'analyzeCanary', input });
      analysisRuns.add(Context.current().info.workflowExecution?.runId ?? '?');
      checksAt.push(n);
      const checks = buildChecks(script(n++), input.slos, input.analysis);
      return { at: new Date().toISOString(), checks, decision: decide(checks) };
    },
    goldenPrompts: async (input: { prompts: string[] }) => {
      cluster.calls.push({ name: 'goldenPrompts', input });
      const same = !golden || golden.stable === golden.canary;
      return {
        compared: input.prompts.length,
        mismatches: same ? [] : input.prompts.map((prompt) => ({ prompt, ...golden! })),
        failures: [],
      };
    },
    runLoadTest: async (input: { title: string }) => {
      cluster.calls.push({ name: 'runLoadTest', input });
      return { summary: { requests: 0, completed: 0, errors: {} }, markdown: input.title, resumed: 0 };
    },
  };
  return { cluster, activities, checks: () => n, analysisRuns };
}

export const spec = (analysis: object = {}, bake = '1m'): ServiceSpecInput =>
  baseSpec({ rollout: { steps: [{ weight: 50, bake }] }, analysis: { interval: '5s', noDataBudget: '30s', ...analysis } });

export const runRelease = (ts: TimeSkipping, w: ReturnType<typeof world>, s: ServiceSpecInput) =>
  ts.withWorker(w.activities, (taskQueue) =>
    ts.env.client.workflow.execute('releasePipeline', { taskQueue, workflowId: releaseWorkflowId('ns', 'llm'), args: [{ spec: s }] }),
  );

export const failure = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
};
