/**
 * What a kubelet does with a container's probes, as a pure state machine: a startup probe that
 * fails `failureThreshold` times in a row gets the container restarted; until it succeeds the
 * other probes wait; a readiness probe flips Ready after `failureThreshold` failures (or
 * `successThreshold` successes); a failing liveness probe restarts the container. Restarts back
 * off as the kubelet's do (10 s, doubling, at most 5 min) and the container waits in
 * CrashLoopBackOff meanwhile.
 */
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export interface ProbeSpec {
  path: string;
  port: number;
  periodMs: number;
  timeoutMs: number;
  initialDelayMs: number;
  failureThreshold: number;
  successThreshold: number;
}
export type ProbeKind = 'startup' | 'readiness' | 'liveness';
export type ContainerProbes = Partial<Record<ProbeKind, ProbeSpec>>;

/** The container's HTTP probes, with the kubelet's defaults; a named port resolves to the container's. */
export function probesOf(container: V1Container): ContainerProbes {
  const one = (p: V1Probe | undefined): ProbeSpec | undefined => {
    if (!p?.httpGet) return undefined;
    const port =
      typeof p.httpGet.port === 'number'
        ? p.httpGet.port
        : (container.ports?.find((cp) => cp.name === p.httpGet!.port)?.containerPort ?? Number(p.httpGet.port));
    return {
      path: p.httpGet.path ?? '/',
      port,
      periodMs: (p.periodSeconds ?? 10) * 1000,
      timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
      initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
      failureThreshold: p.failureThreshold ?? 3,
      successThreshold: p.successThreshold ?? 1,
    };
  };
  const out: ContainerProbes = {};
  for (const [kind, probe] of [
    ['startup', container.startupProbe],
    ['readiness', container.readinessProbe],
    ['liveness', container.livenessProbe],
  ] as const) {
    const spec = one(probe);
    if (spec) out[kind] = spec;
  }
  return out;
}

export interface ProbeState {
  startedAt: number;
  started: boolean;
  ready: boolean;
  failures: Record<ProbeKind, number>;
  successes: Record<ProbeKind, number>;
  lastProbeAt: Partial<Record<ProbeKind, number>>;
}

export const freshProbeState = (startedAt: number, probes: ContainerProbes): ProbeState => ({
  startedAt,
  // Without a startup probe the container counts as started at once; without readiness, Ready once started.
  started: probes.startup === undefined,
  ready: probes.startup === undefined && probes.readiness === undefined,
  failures: { startup: 0, readiness: 0, liveness: 0 },
  successes: { startup: 0, readiness: 0, liveness: 0 },
  lastProbeAt: {},
});

/** The probes due at `now` (startup alone until it has passed). */
export function dueProbes(s: ProbeState, probes: ContainerProbes, now: number): ProbeKind[] {
  const kinds: ProbeKind[] = s.started ? ['readiness', 'liveness'] : ['startup'];
  return kinds.filter((k) => {
    const p = probes[k];
    if (!p || now - s.startedAt < p.initialDelayMs) return false;
    const last = s.lastProbeAt[k];
    return last === undefined || now - last >= p.periodMs;
  });
}

export type ProbeAction = { kind: 'restart'; reason: string } | { kind: 'ready'; ready: boolean } | { kind: 'started' } | undefined;

/** Applies one probe's result; says what the kubelet does about it. */
export function observe(s: ProbeState, probes: ContainerProbes, kind: ProbeKind, ok: boolean, now: number): ProbeAction {
  const p = probes[kind]!;
  s.lastProbeAt[kind] = now;
  if (ok) {
    s.failures[kind] = 0;
    s.successes[kind]++;
  } else {
    s.successes[kind] = 0;
    s.failures[kind]++;
  }
  if (kind === 'startup') {
    if (ok) {
      s.started = true;
      if (!probes.readiness) s.ready = true;
      return probes.readiness ? { kind: 'started' } : { kind: 'ready', ready: true };
    }
    return s.failures.startup >= p.failureThreshold
      ? { kind: 'restart', reason: `Startup probe failed ${p.failureThreshold} times` }
      : undefined;
  }
  if (kind === 'liveness') {
    return s.failures.liveness >= p.failureThreshold
      ? { kind: 'restart', reason: `Liveness probe failed ${p.failureThreshold} times` }
      : undefined;
  }
  if (!s.ready && ok && s.successes.readiness >= p.successThreshold) {
    s.ready = true;
    return { kind: 'ready', ready: true };
  }
  if (s.ready && !ok && s.failures.readiness >= p.failureThreshold) {
    s.ready = false;
    return { kind: 'ready', ready: false };
  }
  return undefined;
}

/** The kubelet's crash-loop back-off before restart `n` (1-based): 10 s, doubling, at most 5 min. */
export const backoffMs = (n: number) => Math.min(300_000, 10_000 * 2 ** Math.max(0, n - 1));
