/**
 * Observing one canary step (workflow code: deterministic, orchestration only). During the
 * step's bake: golden prompts once, load through the service if the spec has a profile, and a
 * Prometheus analysis every `analysis.interval`. A failed check rolls back at once; missing data
 * or marginal evidence holds the step (never passes it) for at most `noDataBudget`, then rolls
 * back or pauses for a person. The step ends only on a passing analysis at or after the bake.
 */
import { ApplicationFailure, CancellationScope, isCancellation, patched, sleep } from '@temporalio/workflow';
import { ErrorType } from '../core/errors';
import { formatDuration } from '../core/duration';
import { serviceName } from '../core/manifests';
import { trafficOf } from '../core/traffic';
import type { ServiceSpec } from '../core/service-spec';
import type { StepObservation } from '../core/release/types';
import { analyzeCanary as analyze, goldenPrompts, runLoadTest } from './activity-proxies';
import { recordAnalysisDecision } from './metrics';

export interface ObservedRun {
  status: StepObservation;
  /** Pauses the release (as the pause signal does) and waits for a resume. */
  holdForPerson(reason: string): Promise<void>;
}

export interface StepUnderObservation {
  index: number;
  bakeMs: number;
  canaryRevision: string;
  stableRevision: string;
}

/** Where a step's observation stands: what a continued (continue-as-new) or resumed observation starts from. */
export interface StepProgress {
  /** Workflow time (ms) at which the bake ends. */
  deadline: number;
  holdingSince?: number;
  goldenDone: boolean;
  /** Load-test slices started so far (their seeds and titles follow on). */
  slices: number;
  /** Workflow time (ms) the latest bake slice of load runs until: the next starts then, not before. */
  loadUntil?: number;
  /**
   * How late the checks' timers fired, summed: about how long no worker ran this step. A load test
   * resumed from its heartbeat is behind its schedule by as much, so the bake's end waits for it.
   */
  lateMs?: number;
}

export interface ObserveOptions {
  /** Carried from an earlier run of the same step's observation. */
  progress?: StepProgress;
  /** The longest load-test slice: a long bake runs its load in slices, so its history can be cut between them. */
  loadSliceMs?: number;
  /** Called after each check that neither ended nor failed the step, with whether a load slice is under way. */
  afterCheck?: (loadRunning: boolean) => void;
}

/** The route's credentials (a Secret reference, never the token), for requests the pipeline sends. */
function credentialsOf(spec: ServiceSpec) {
  const { kind, traffic } = trafficOf(spec);
  const credentials = kind.credentials(traffic);
  return credentials ? { credentials } : {};
}

/** Load during the step, in slices: the bake first, then more while the analysis holds. */
class StepLoad {
  private pending?: Promise<void>;
  private readonly scope = new CancellationScope();

  constructor(
    private readonly run: ObservedRun,
    private readonly spec: ServiceSpec,
    private readonly step: StepUnderObservation,
    private readonly progress: StepProgress,
  ) {}

  get running(): boolean {
    return this.pending !== undefined;
  }

  /** Starts a slice of `durationMs` unless one is under way (or there is no profile); true if it started one. */
  keepGoing(durationMs: number): boolean {
    const profile = this.spec.loadTest;
    if (!profile || this.pending) return false;
    const slice = this.progress.slices++;
    const { kind, traffic } = trafficOf(this.spec);
    const hostnames = kind.hostnames(traffic);
    const targetService = profile.target === 'canary' ? serviceName(this.spec.service, 'canary') : this.spec.service;
    const started = this.scope.run(() =>
      runLoadTest(durationMs)({
        namespace: this.spec.namespace,
        targetService,
        ...(profile.target === 'service' && hostnames[0] ? { viaHostname: hostnames[0] } : {}),
        model: this.spec.model.name,
        profile,
        durationMs,
        slo: { e2eMs: this.spec.slos.p95LatencyMs, ...(this.spec.slos.ttftP95Ms ? { ttftMs: this.spec.slos.ttftP95Ms } : {}) },
        title: `Load test, step ${this.step.index + 1}${slice > 0 ? ` (hold ${slice})` : ''}: ${this.spec.service} ${this.spec.version}`,
        seed: this.step.index * 1000 + slice + 1,
        ...credentialsOf(this.spec),
      }),
    );
    this.pending = started
      .then(
        (result) => {
          (this.run.status.loadTests ??= []).push({ step: this.step.index + 1, summary: result.summary, markdown: result.markdown });
        },
        (err: unknown) => {
          // The load is evidence, not a verdict: a failed load test leaves the analysis without data.
          if (!isCancellation(err)) this.run.status.lastReason = `load test failed: ${(err as Error).message}`;
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return true;
  }

  /** Lets the slice under way report (it ends with the bake), within `graceMs`. */
  async settle(graceMs: number): Promise<void> {
    if (this.pending) await Promise.race([this.pending, sleep(graceMs)]);
  }

  stop(): void {
    this.scope.cancel();
  }
}

export async function observeStep(
  run: ObservedRun,
  spec: ServiceSpec,
  step: StepUnderObservation,
  opts: ObserveOptions = {},
): Promise<void> {
  const a = spec.analysis;
  const analyzeCanary = analyze(a.interval);
  const progress = opts.progress ?? { deadline: Date.now() + step.bakeMs, goldenDone: false, slices: 0 };
  const { deadline } = progress;
  const sliceMs = opts.loadSliceMs ?? Infinity;
  const stepNo = step.index + 1;
  const stepLoad = new StepLoad(run, spec, step, progress);
  // Load through the bake: one slice of the whole bake, or (long bakes) consecutive slices.
  const loadThroughBake = () => {
    const now = Date.now();
    if (now >= deadline || now < (progress.loadUntil ?? 0)) return;
    const sliceFor = Math.min(deadline - now, sliceMs);
    if (stepLoad.keepGoing(sliceFor)) progress.loadUntil = now + sliceFor;
  };
  loadThroughBake();
  try {
    if (a.goldenPrompts.length > 0 && !progress.goldenDone) {
      const golden = await goldenPrompts({
        namespace: spec.namespace,
        stableService: serviceName(spec.service, 'stable'),
        canaryService: serviceName(spec.service, 'canary'),
        model: spec.model.name,
        prompts: a.goldenPrompts,
        maxTokens: 32,
        ...credentialsOf(spec),
      });
      run.status.golden = { step: stepNo, compared: golden.compared, mismatches: golden.mismatches.length };
      const [first] = golden.mismatches;
      if (first) {
        throw ApplicationFailure.nonRetryable(
          `analysis at step ${stepNo}: ${golden.mismatches.length} of ${golden.compared} golden prompts answered differently at temperature 0 (first: "${first.prompt.slice(0, 60)}": stable "${first.stable.slice(0, 40)}…", canary "${first.canary.slice(0, 40)}…")`,
          ErrorType.AnalysisFailed,
          golden,
        );
      }
      if (golden.compared === 0) {
        throw ApplicationFailure.nonRetryable(
          `analysis at step ${stepNo}: no golden prompt could be compared (${golden.failures.map((f) => f.error).join('; ')})`,
          ErrorType.AnalysisInconclusive,
          golden,
        );
      }
      progress.goldenDone = true;
    }
    for (;;) {
      loadThroughBake();
      const sleptAt = Date.now();
      await sleep(a.interval);
      progress.lateMs = (progress.lateMs ?? 0) + Math.max(0, Date.now() - sleptAt - a.interval);
      const report = await analyzeCanary({
        namespace: spec.namespace,
        service: spec.service,
        canaryRevision: step.canaryRevision,
        stableRevision: step.stableRevision,
        slos: spec.slos,
        analysis: a,
      });
      run.status.analysis = { step: stepNo, ...report };
      const { action, reasons } = report.decision;
      recordAnalysisDecision(action);
      if (action === 'rollback') {
        throw ApplicationFailure.nonRetryable(`analysis at step ${stepNo}: ${reasons.join('; ')}`, ErrorType.AnalysisFailed, report);
      }
      if (action === 'continue') {
        delete progress.holdingSince;
        if (Date.now() >= deadline) {
          await stepLoad.settle(10_000 + (patched('load-settle-covers-outage') ? (progress.lateMs ?? 0) : 0));
          return;
        }
      } else {
        progress.holdingSince ??= Date.now();
        if (Date.now() >= deadline) stepLoad.keepGoing(Math.max(4 * a.interval, 20_000)); // judged on fresh traffic
        if (Date.now() - progress.holdingSince >= a.noDataBudget) {
          const why = `no verdict for ${formatDuration(a.noDataBudget)} at step ${stepNo}: ${reasons.join('; ')}`;
          if (a.onNoData === 'rollback') throw ApplicationFailure.nonRetryable(`analysis ${why}`, ErrorType.AnalysisInconclusive, report);
          delete progress.holdingSince;
          await run.holdForPerson(`analysis ${why}`);
        }
      }
      opts.afterCheck?.(stepLoad.running);
    }
  } finally {
    stepLoad.stop();
  }
}
