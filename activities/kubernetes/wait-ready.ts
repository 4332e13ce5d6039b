import { Watch, type V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { loadOverrun, podProblem, reached, revisionProgress, type PodHealthView, type RevisionProgress } from '../../core/pod-health';
import type { Kube } from './client';
import { classifyKubeError } from './errors';

export interface WaitForRevisionInput {
  namespace: string;
  /** Label selector of the revision's pods. */
  selector: string;
  replicas: number;
  /** How long the wait may take in all (scheduling, pulling, loading). */
  budgetMs: number;
  /** How long one pod may take from its containers running to Ready (model.loadBudget); unset: only `budgetMs` bounds it. */
  loadBudgetMs?: number;
  gpuResource: string;
  what: string;
  /**
   * The pool scales (gpu.autoscaling): `report` returns as soon as a pod cannot be placed for
   * want of GPUs (the workflow says it waits), `tolerate` waits for the pool to add nodes, up to
   * `budgetMs` from the first attempt, before that fails the step as it would without autoscaling.
   */
  scaleUp?: { mode: 'report' | 'tolerate'; budgetMs: number };
}

/** What a wait ends with: the pods reached, or (scale-up `report`) the first pod waiting for the pool to grow. */
export interface WaitResult extends RevisionProgress {
  unschedulable?: { pod: string; message: string };
}

export function toHealthView(pod: V1Pod): PodHealthView {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const app = pod.status?.containerStatuses ?? [];
  const started = app.map((s) => s.state?.running?.startedAt);
  const runningSinceMs =
    app.length > 0 && started.every((t) => t !== undefined) ? Math.max(...started.map((t) => new Date(t!).getTime())) : undefined;
  return {
    name: pod.metadata?.name ?? '',
    deleting: !!pod.metadata?.deletionTimestamp,
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    ...(scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && scheduled.message
      ? { unschedulableMessage: scheduled.message }
      : {}),
    waitingReasons: statuses.flatMap((s) =>
      s.state?.waiting?.reason ? [{ reason: s.state.waiting.reason, message: s.state.waiting.message }] : [],
    ),
    restartCount: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    ...(runningSinceMs !== undefined && Number.isFinite(runningSinceMs) ? { runningSinceMs } : {}),
  };
}

/**
 * How long a scheduler's "Insufficient <gpu>" must stand before it fails the step. Its first verdict
 * can predate deletions its cache has not seen yet (pods of a step or a service just gone); it
 * retries the pod on those deletions within its 1 s initial back-off, so a real shortage still
 * fails within seconds, a stale one never.
 */
export const SCHEDULER_SETTLE_MS = 5_000;

const problemFailure = (what: string, p: NonNullable<ReturnType<typeof podProblem>>) => {
  switch (p.kind) {
    case 'insufficient-resource':
      return ApplicationFailure.nonRetryable(`${what}: pod ${p.pod} cannot be scheduled: ${p.message}`, ErrorType.GpuCapacityExhausted, p);
    case 'image-pull':
      return ApplicationFailure.nonRetryable(`${what}: pod ${p.pod} cannot pull its image: ${p.message}`, ErrorType.ImagePullFailed, p);
    case 'crash-loop':
      return ApplicationFailure.nonRetryable(`${what}: pod ${p.pod} is crash-looping: ${p.message}`, ErrorType.CrashLoop, p);
  }
};

/**
 * Waits, by watching the pods, until exactly `replicas` pods of the revision exist and are Ready.
 * Fails at once, not at the deadline, when a pod cannot pull its image or crash-loops, and within
 * SCHEDULER_SETTLE_MS when the scheduler keeps refusing it for want of GPUs. Heartbeats its progress; a broken
 * watch is listed and watched afresh (a retry too), so it costs nothing.
 */
export async function waitForRevision(kube: Kube, input: WaitForRevisionInput): Promise<WaitResult> {
  const ctx = Context.current();
  // From the first attempt's scheduling: a retry (a lost worker, a closed watch) keeps the deadline, not a new budget.
  const deadline = ctx.info.scheduledTimestampMs + input.budgetMs;
  const scaleUpDeadline = ctx.info.scheduledTimestampMs + (input.scaleUp?.budgetMs ?? 0);
  const pods = new Map<string, PodHealthView>();
  /** When each pod was first seen refused for want of a resource (cleared once it is not; pod names are never reused). */
  const refusedSince = new Map<string, number>();
  let rv: string;
  try {
    const list = await kube.core.listNamespacedPod({ namespace: input.namespace, labelSelector: input.selector });
    for (const pod of list.items) pods.set(pod.metadata!.name!, toHealthView(pod));
    rv = list.metadata!.resourceVersion!;
  } catch (err) {
    throw classifyKubeError(err, `listing pods of ${input.what}`);
  }

  return new Promise<WaitResult>((resolve, reject) => {
    let watch: AbortController | undefined;
    let settled = false;
    const finish = (err: unknown, value?: WaitResult) => {
      if (settled) return;
      settled = true;
      clearInterval(ticker);
      watch?.abort();
      if (err) reject(err);
      else resolve(value!);
    };
    const evaluate = () => {
      const progress = revisionProgress([...pods.values()]);
      ctx.heartbeat(progress);
      const now = Date.now();
      for (const pod of pods.values()) {
        const problem = podProblem(pod, input.gpuResource);
        if (problem?.kind !== 'insufficient-resource') refusedSince.delete(pod.name);
        else {
          const since = refusedSince.get(pod.name) ?? now;
          refusedSince.set(pod.name, since);
          if (now - since < SCHEDULER_SETTLE_MS) continue; // the scheduler may not have seen deletions yet
        }
        if (problem?.kind === 'insufficient-resource' && input.scaleUp) {
          if (input.scaleUp.mode === 'report')
            return finish(undefined, { ...progress, unschedulable: { pod: problem.pod, message: problem.message } });
          if (Date.now() < scaleUpDeadline) continue; // the autoscaler is adding nodes
          return finish(
            problemFailure(input.what, {
              ...problem,
              message: `${problem.message} (the pool did not scale up within ${Math.round(input.scaleUp.budgetMs / 1000)}s: gpu.autoscaling.scaleUpBudget)`,
            }),
          );
        }
        if (problem) return finish(problemFailure(input.what, problem));
        const overrun = input.loadBudgetMs !== undefined ? loadOverrun(pod, Date.now(), input.loadBudgetMs) : undefined;
        if (overrun) {
          const secs = (ms: number) => `${Math.round(ms / 1000)}s`;
          return finish(
            ApplicationFailure.nonRetryable(
              `${input.what}: pod ${overrun.pod} is not Ready ${secs(overrun.loadingMs)} after its containers started, past the model-load budget of ${secs(input.loadBudgetMs!)} (model.loadBudget)`,
              ErrorType.ModelLoadTimeout,
              overrun,
            ),
          );
        }
      }
      if (reached(progress, input.replicas)) return finish(undefined, progress);
      if (Date.now() > deadline) {
        const waiting = [...pods.values()].filter((p) => !p.ready).map((p) => p.name);
        return finish(
          ApplicationFailure.nonRetryable(
            `${input.what}: ${progress.ready}/${input.replicas} Ready (${progress.pods} pods) after the ${Math.round(input.budgetMs / 1000)}s budget${ctx.info.attempt > 1 ? ` (over ${ctx.info.attempt} attempts)` : ''}; not ready: ${waiting.join(', ') || 'none'}`,
            ErrorType.ModelLoadTimeout,
            progress,
          ),
        );
      }
    };
    // The budget and heartbeats need a clock even when nothing changes; the watch drives the rest.
    const ticker = setInterval(evaluate, 1000);
    ctx.cancellationSignal.addEventListener('abort', () => finish(ctx.cancellationSignal.reason ?? new Error('cancelled')));
    // A watch that ends (a reset connection, an API server restart) is listed and watched afresh
    // within this attempt, backing off; only a failure retrying cannot fix ends the wait.
    let backoffMs = 250;
    const again = (err: unknown, what: string) => {
      if (settled) return;
      const failure = classifyKubeError(err, `${what} ${input.what}`);
      if (failure instanceof ApplicationFailure && failure.nonRetryable) return finish(failure);
      watch = undefined;
      setTimeout(resync, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 5_000);
    };
    const resync = () => {
      if (settled) return;
      kube.core.listNamespacedPod({ namespace: input.namespace, labelSelector: input.selector }).then(
        (list) => {
          pods.clear();
          for (const pod of list.items) pods.set(pod.metadata!.name!, toHealthView(pod));
          startWatch(list.metadata!.resourceVersion!);
        },
        (err: unknown) => again(err, 'listing pods of'),
      );
    };
    const startWatch = (from: string) => {
      new Watch(kube.config)
        .watch(
          `/api/v1/namespaces/${input.namespace}/pods`,
          { labelSelector: input.selector, resourceVersion: from, allowWatchBookmarks: true },
          (phase, obj: V1Pod) => {
            backoffMs = 250;
            if (phase === 'BOOKMARK') return;
            const name = obj.metadata!.name!;
            if (phase === 'DELETED') pods.delete(name);
            else pods.set(name, toHealthView(obj));
            evaluate();
          },
          (err: unknown) => again(err ?? new Error('watch closed'), 'watching pods of'),
        )
        .then(
          (controller) => {
            watch = controller;
            if (settled) controller.abort();
            else evaluate();
          },
          (err: unknown) => again(err, 'watching pods of'),
        );
    };
    startWatch(rv);
  });
}
