/**
 * The kubelet's prober and restart manager for model-server pods, which kwok does not run:
 * every container's startup, readiness and liveness probes are sent to its simulated server (on
 * the pod's IP) as the pod spec renders them, and the pod's status follows as a kubelet would set
 * it — Ready only while readiness passes (so EndpointSlices drop a failing pod), and a container
 * whose startup or liveness probe fails, or whose command line the engine refuses, restarted with
 * back-off through CrashLoopBackOff. The pod runner then starts a fresh server for each new run.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { request } from 'node:http';
import type { PodRunner, WatchedPod } from './pod-runner';
import { backoffMs, dueProbes, freshProbeState, observe, probesOf, type ProbeSpec, type ProbeState } from './probes';

const TICK_MS = 250;

/** A running state; null clears the others whether the patch merges or replaces the list. */
const running = (since: number) => ({ waiting: null, terminated: null, running: { startedAt: new Date(since).toISOString() } });

function probe(address: string, p: ProbeSpec): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: address, port: p.port, path: p.path, method: 'GET', timeout: p.timeoutMs }, (res) => {
      res.resume();
      // The kubelet's rule: 200 ≤ status < 400 passes.
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class Kubelet {
  private readonly states = new Map<string, ProbeState>();
  private readonly busy = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly core: CoreV1Api,
    private readonly runner: PodRunner,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const pod of this.runner.watched.values()) {
        if (this.busy.has(pod.key)) continue;
        this.busy.add(pod.key);
        void this.tend(pod)
          .catch((err: Error) => this.log(`kubelet ${pod.key}: ${err.message}`))
          .finally(() => this.busy.delete(pod.key));
      }
      for (const key of this.states.keys()) if (!this.runner.watched.has(key)) this.states.delete(key);
    }, TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tend(pod: WatchedPod): Promise<void> {
    const startedAt = pod.runningSince;
    if (startedAt === undefined || pod.deleting) return;
    const refused = this.runner.refused.get(pod.key);
    if (refused) return this.restart(pod, refused.exitCode, refused.message);
    const running = this.runner.pods.get(pod.key);
    if (!running) return; // its server is starting
    const probes = probesOf(pod.container);
    let state = this.states.get(pod.key);
    if (!state || state.startedAt !== startedAt) {
      state = freshProbeState(startedAt, probes);
      this.states.set(pod.key, state);
      if (state.ready) await this.setReady(pod, true, state.started);
    }
    const now = Date.now();
    for (const kind of dueProbes(state, probes, now)) {
      const ok = await probe(running.address, probes[kind]!);
      const action = observe(state, probes, kind, ok, Date.now());
      if (action?.kind === 'restart') return this.restart(pod, 137, action.reason);
      if (action?.kind === 'started') await this.setReady(pod, false, true);
      if (action?.kind === 'ready') await this.setReady(pod, action.ready, state.started);
    }
  }

  private patch(pod: WatchedPod, status: Record<string, unknown>): Promise<unknown> {
    return this.core.patchNamespacedPodStatus(
      { name: pod.name, namespace: pod.namespace, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }

  private containerStatus(pod: WatchedPod, over: Record<string, unknown>) {
    return { name: pod.container.name, image: pod.container.image, restartCount: pod.restartCount, ...over };
  }

  private async setReady(pod: WatchedPod, ready: boolean, started: boolean): Promise<void> {
    const now = new Date().toISOString();
    const condition = (type: string) => ({
      type,
      status: ready ? 'True' : 'False',
      lastTransitionTime: now,
      ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${pod.container.name}]` }),
    });
    await this.patch(pod, {
      conditions: [condition('Ready'), condition('ContainersReady')],
      containerStatuses: [this.containerStatus(pod, { ready, started, state: running(pod.runningSince!) })],
    });
    this.log(`${pod.key}: ${ready ? 'Ready' : started ? 'started, not Ready' : 'not Ready'}`);
  }

  /** The container is killed (or exited): it waits in CrashLoopBackOff, then runs again. */
  private async restart(pod: WatchedPod, exitCode: number, reason: string): Promise<void> {
    const restarts = pod.restartCount + 1;
    const wait = backoffMs(restarts);
    const finishedAt = new Date().toISOString();
    const terminated = {
      exitCode,
      reason: exitCode === 137 ? 'Killed' : 'Error',
      message: reason,
      startedAt: new Date(pod.runningSince!).toISOString(),
      finishedAt,
    };
    const unready = (type: string) => ({ type, status: 'False', lastTransitionTime: finishedAt, reason: 'ContainersNotReady' });
    this.log(`${pod.key}: ${reason}; restart ${restarts} in ${wait / 1000}s`);
    this.runner.refused.delete(pod.key);
    const after = (state: Record<string, unknown>) =>
      this.containerStatus(pod, { ready: false, started: false, restartCount: restarts, lastState: { terminated }, state });
    await this.patch(pod, {
      conditions: [unready('Ready'), unready('ContainersReady')],
      containerStatuses: [
        after({
          running: null,
          terminated: null,
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${wait / 1000}s restarting failed container=${pod.container.name} pod=${pod.name}`,
          },
        }),
      ],
    });
    await new Promise((r) => setTimeout(r, wait));
    if (!this.runner.watched.has(pod.key)) return;
    await this.patch(pod, { containerStatuses: [after(running(Date.now()))] });
  }
}
