/**
 * Reads why pods are not coming up, from their status, as the kubelet and scheduler report it.
 * Pure: the wait activity feeds it every pod it sees in its watch.
 */
export interface PodHealthView {
  name: string;
  deleting: boolean;
  ready: boolean;
  /** PodScheduled=False condition (reason Unschedulable) message, if any. */
  unschedulableMessage?: string;
  waitingReasons: { reason: string; message?: string }[];
  restartCount: number;
  /** When its last app container started running (epoch ms), while all of them run; from then on the model loads. */
  runningSinceMs?: number;
}

export type PodProblem =
  | { kind: 'insufficient-resource'; pod: string; resource: string; message: string }
  | { kind: 'image-pull'; pod: string; message: string }
  | { kind: 'crash-loop'; pod: string; message: string };

const PULL_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
export const CRASH_RESTARTS = 3;

/** The first problem a retry will not fix, or undefined while the pod may still come up. */
export function podProblem(pod: PodHealthView, gpuResource: string): PodProblem | undefined {
  if (pod.deleting) return undefined;
  const msg = pod.unschedulableMessage;
  if (msg) {
    const insufficient = [...msg.matchAll(/Insufficient ([\w./-]+)/g)].map((m) => m[1]!);
    const resource = insufficient.find((r) => r === gpuResource) ?? insufficient[0];
    if (resource) return { kind: 'insufficient-resource', pod: pod.name, resource, message: msg };
  }
  const pull = pod.waitingReasons.find((w) => PULL_ERRORS.has(w.reason));
  if (pull) return { kind: 'image-pull', pod: pod.name, message: `${pull.reason}: ${pull.message ?? ''}`.trim() };
  const crash = pod.waitingReasons.find((w) => w.reason === 'CrashLoopBackOff');
  if (crash || pod.restartCount >= CRASH_RESTARTS) {
    return {
      kind: 'crash-loop',
      pod: pod.name,
      message: `${crash?.reason ?? 'restarting'} (${pod.restartCount} restarts) ${crash?.message ?? ''}`.trim(),
    };
  }
  return undefined;
}

/**
 * A pod whose containers run but which is still not Ready past the model-load budget: its model
 * did not load in time. The kubelet's startup probe would restart it; the pipeline does not wait
 * for that (a probe may be missing, or sized otherwise) and fails the step, naming the pod.
 */
export function loadOverrun(pod: PodHealthView, nowMs: number, loadBudgetMs: number): { pod: string; loadingMs: number } | undefined {
  if (pod.deleting || pod.ready || pod.runningSinceMs === undefined) return undefined;
  const loadingMs = nowMs - pod.runningSinceMs;
  return loadingMs > loadBudgetMs ? { pod: pod.name, loadingMs } : undefined;
}

export interface RevisionProgress {
  /** Pods that exist, terminating ones included (they still hold GPUs). */
  pods: number;
  ready: number;
}

export function revisionProgress(pods: PodHealthView[]): RevisionProgress {
  return { pods: pods.length, ready: pods.filter((p) => p.ready && !p.deleting).length };
}

/** Reached when exactly `replicas` pods exist and all are Ready: scale-ups and scale-downs alike. */
export const reached = (p: RevisionProgress, replicas: number) => p.pods === replicas && p.ready === replicas;
