import { CancelledFailure, Context } from '@temporalio/activity';
import type { LoadProfile } from '../../core/analysis/spec';
import type { GoodputSlo } from '../../core/loadgen/metrics';
import { loadReportMarkdown } from '../../core/loadgen/report';
import type { KeyRef, RouteCredentials } from '../../core/key-ref';
import { serviceEndpoint, type EndpointConfig } from './endpoint';
import { compareGoldenPrompts, type GoldenInput } from './golden';
import { runLoad } from './loadgen/run';
import { LoadStats, type LoadSummary, type SerializedStats } from './loadgen/stats';

export interface LoadTestInput {
  namespace: string;
  /** The Kubernetes Service the load goes to (the service's main one, or its canary Service). */
  targetService: string;
  /** Gateway API: send through the gateway with this Host (the route's hostname), so the route's weights apply. */
  viaHostname?: string;
  model: string;
  profile: LoadProfile;
  durationMs: number;
  slo: GoodputSlo;
  title: string;
  seed?: number;
  /** Presented with every request (read from its Secret by the worker). */
  credentials?: RouteCredentials;
}

export interface LoadTestResult {
  summary: LoadSummary;
  markdown: string;
  /** Times the test was resumed after its worker went away. */
  resumed: number;
}

interface Progress {
  elapsedMs: number;
  stats: SerializedStats;
  resumed: number;
}

/** Reads one key of a Secret in `namespace` (the worker's Kubernetes client). */
export type SecretKeyReader = (namespace: string, ref: KeyRef) => Promise<string>;

const noSecrets: SecretKeyReader = (namespace, ref) =>
  Promise.reject(new Error(`cannot read Secret ${namespace}/${ref.name}: this worker has no Kubernetes access`));

/** The headers that present `credentials`: read now, held only in memory. */
async function credentialHeaders(
  readSecretKey: SecretKeyReader,
  namespace: string,
  credentials?: RouteCredentials,
): Promise<Record<string, string>> {
  if (!credentials) return {};
  const token = await readSecretKey(namespace, credentials.bearerToken.secretKeyRef);
  return { authorization: `Bearer ${token}` };
}

/** Activities that talk to the model servers themselves: load tests and golden prompts. */
export const createModelServiceActivities = (
  endpoint: EndpointConfig & { gatewayUrl?: string },
  readSecretKey: SecretKeyReader = noSecrets,
) => ({
  /**
   * Runs a load test for `durationMs`, heartbeating its progress (elapsed time and histograms);
   * a retry after a worker restart resumes where the last heartbeat was, keeping what it measured.
   */
  async runLoadTest(input: LoadTestInput): Promise<LoadTestResult> {
    const ctx = Context.current();
    const previous = ctx.info.heartbeatDetails as Progress | undefined;
    const stats = new LoadStats(input.slo, previous?.stats);
    const resumed = previous ? previous.resumed + 1 : 0;
    const fromMs = previous?.elapsedMs ?? 0;
    if (previous) ctx.log.info('load test resumed', { fromMs, completed: stats.completed });
    const headers = await credentialHeaders(readSecretKey, input.namespace, input.credentials);
    await runLoad({
      endpoint: {
        ...(input.viaHostname
          ? {
              url: new URL(endpoint.gatewayUrl ?? serviceEndpoint(endpoint, input.targetService, input.namespace).url),
              host: input.viaHostname,
            }
          : serviceEndpoint(endpoint, input.targetService, input.namespace)),
        headers,
      },
      model: input.model,
      profile: input.profile,
      fromMs,
      toMs: input.durationMs,
      seed: input.seed ?? 1,
      stats,
      signal: ctx.cancellationSignal,
      onTick: (elapsedMs) =>
        ctx.heartbeat({ elapsedMs: Math.min(elapsedMs, input.durationMs), stats: stats.serialize(), resumed } satisfies Progress),
    });
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('load test cancelled');
    const summary = stats.summary();
    return { summary, markdown: loadReportMarkdown(input.title, summary), resumed };
  },

  async goldenPrompts(input: GoldenInput) {
    const headers = await credentialHeaders(readSecretKey, input.namespace, input.credentials);
    return compareGoldenPrompts(endpoint, input, headers);
  },
});

export type ModelServiceActivities = ReturnType<typeof createModelServiceActivities>;
