/**
 * The serving contract of the pinned vLLM release, as derived from its wheel by
 * infra/dev/vllm/ and checked in under core/server/vllm/ (`npm run vllm:contract` rewrites it;
 * a test fails when it no longer matches the wheel). Data only: flags, values, metrics.
 */
import flags from './vllm/flags.json';
import metrics from './vllm/metrics.json';
import values from './vllm/values.json';
import { FlagSet, type CliFlag } from './cli-flags';
import type { MetricContract } from './metrics-contract';

export interface VllmContract {
  version: string;
  flags: CliFlag[];
  /** Values vLLM checks `--quantization` against once parsed (its QUANTIZATION_METHODS). */
  quantizationMethods: string[];
  /** Values vLLM's model loader takes for `--load-format` (its LoadFormats). */
  loadFormats: string[];
  /** What finished_reason takes on vllm:request_success_total. */
  finishedReasons: string[];
  metrics: MetricContract[];
  httpMetrics: MetricContract[];
  /** Handlers the HTTP metrics leave out. */
  httpExcludedHandlers: string[];
}

export const VLLM: VllmContract = {
  version: values.version,
  flags: flags as CliFlag[],
  quantizationMethods: values.quantizationMethods,
  loadFormats: values.loadFormats,
  finishedReasons: values.finishedReasons,
  metrics: metrics.engine as MetricContract[],
  httpMetrics: metrics.http as MetricContract[],
  httpExcludedHandlers: values.httpExcludedHandlers,
};

export const VLLM_FLAGS = new FlagSet(VLLM.flags);

/** The checked-in files of a contract: one line per flag or metric, so a change reads as a diff. */
export function contractFiles(c: VllmContract): Record<string, string> {
  const lines = (items: unknown[]) => `[\n${items.map((i) => `  ${JSON.stringify(i)}`).join(',\n')}\n]\n`;
  const { flags: f, metrics: engine, httpMetrics: http, ...rest } = c;
  return {
    'flags.json': lines(f),
    'metrics.json': `{\n"engine": ${lines(engine).trimEnd()},\n"http": ${lines(http).trimEnd()}\n}\n`,
    'values.json': `${JSON.stringify(rest, null, 1)}\n`,
  };
}
