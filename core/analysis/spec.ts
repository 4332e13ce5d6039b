import { z } from 'zod';
import { durationMs } from '../duration';

/**
 * How each canary step is judged (the `analysis` section of a service spec). Windows are scaled
 * to canary steps that last minutes: the SRE workbook's page-level pairs (1h/5m at 14.4×, 6h/30m
 * at 6×) are for a 30-day budget; a canary is judged within its step.
 */
const BurnRateWindow = z.strictObject({ long: durationMs, short: durationMs, factor: z.number().positive() });

export const AnalysisSpec = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Time between checks during a step; a breach is acted on at the next check. */
    interval: durationMs.default(5_000),
    /** The window each check's rates and quantiles cover. */
    window: durationMs.default(60_000),
    /** Fewer requests than this to a track in the window is "no data" (never a pass). */
    minRequests: z.number().int().nonnegative().default(20),
    /** How long missing data or an unreachable Prometheus is waited out, then `onNoData`. */
    noDataBudget: durationMs.default(60_000),
    onNoData: z.enum(['rollback', 'pause']).default('rollback'),
    /** Label names that identify a model server's series in Prometheus. */
    labels: z
      .strictObject({
        namespace: z.string().default('namespace'),
        service: z.string().default('service'),
        revision: z.string().default('revision'),
        /** The pod's label on the server's series: GPU memory (dcgm-exporter's namespace/pod) is joined on it. */
        pod: z.string().default('pod'),
      })
      .default({ namespace: 'namespace', service: 'service', revision: 'revision', pod: 'pod' }),
    /** Multi-window burn rates of the error budget: a window pair fails when both windows burn faster than `factor`. */
    burnRate: z
      .strictObject({
        objective: z.number().gt(0).lt(1).default(0.995),
        windows: z
          .array(BurnRateWindow)
          .min(1)
          .default([
            { long: 120_000, short: 15_000, factor: 14.4 },
            { long: 600_000, short: 60_000, factor: 6 },
          ]),
      })
      .default({
        objective: 0.995,
        windows: [
          { long: 120_000, short: 15_000, factor: 14.4 },
          { long: 600_000, short: 60_000, factor: 6 },
        ],
      }),
    /** Canary against baseline (Mann-Whitney U on per-interval series, as Kayenta does). */
    comparison: z
      .strictObject({
        metrics: z.array(z.enum(['ttft', 'e2e', 'errors'])).default(['ttft', 'e2e', 'errors']),
        /** p below this (canary worse) with an effect beyond `tolerance` fails the step. */
        failP: z.number().gt(0).lt(1).default(0.001),
        /** p below this (and above failP) holds the step until the evidence clears or the budget ends. */
        marginalP: z.number().gt(0).lt(1).default(0.01),
        /** Relative difference of medians (canary / baseline − 1) below which a difference does not count. */
        tolerance: z.number().nonnegative().default(0.2),
        /** Series resolution. */
        resolution: durationMs.default(5_000),
      })
      .default({ metrics: ['ttft', 'e2e', 'errors'], failP: 0.001, marginalP: 0.01, tolerance: 0.2, resolution: 5_000 }),
    /** Prompts sent at temperature 0 to canary and stable at each step; any different answer fails it. */
    goldenPrompts: z.array(z.string().min(1)).default([]),
  })
  .refine((a) => a.comparison.failP <= a.comparison.marginalP, {
    message: 'comparison.failP must not exceed marginalP',
    path: ['comparison'],
  });
export type AnalysisSpec = z.infer<typeof AnalysisSpec>;
export const ANALYSIS_DEFAULTS: AnalysisSpec = AnalysisSpec.parse({});

const Distribution = z.strictObject({ mean: z.number().int().positive(), stddev: z.number().nonnegative().default(0) });

/** Load sent while a canary step is observed (the `loadTest` section). */
export const LoadProfile = z.strictObject({
  /** Open loop: requests per second at constant spacing or as a Poisson process. Closed loop: `concurrency` workers. */
  mode: z.enum(['constant', 'poisson', 'concurrency']).default('poisson'),
  rate: z.number().positive().max(10_000).default(5),
  concurrency: z.number().int().positive().max(1_000).default(4),
  /** Requests sent before this are not counted (warm-up). */
  warmup: durationMs.default(0),
  /** Only when run on its own (CLI); during a release the step's bake decides. */
  duration: durationMs.default(60_000),
  promptTokens: Distribution.default({ mean: 256, stddev: 64 }),
  outputTokens: Distribution.default({ mean: 64, stddev: 16 }),
  /** Draw each request from this many distinct prompts (repeated traffic, as response caches see it); unset: every prompt new. */
  distinctPrompts: z.number().int().positive().max(100_000).optional(),
  /** Sampling temperature sent with each request; unset: the server's default. 0 makes answers (and caching) deterministic. */
  temperature: z.number().min(0).max(2).optional(),
  /** `service`: through the service's route (both tracks, by weight); `canary`: the canary's Service only. */
  target: z.enum(['service', 'canary']).default('service'),
  timeout: durationMs.default(60_000),
});
export type LoadProfile = z.infer<typeof LoadProfile>;
