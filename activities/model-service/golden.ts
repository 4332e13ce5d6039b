/**
 * Golden prompts: the same prompts at temperature 0 to the stable and the canary Service; a model
 * that is meant to answer the same (a serving change, not a model change) must.
 */
import type { RouteCredentials } from '../../core/key-ref';
import { postJson, readAll, serviceEndpoint, type EndpointConfig } from './endpoint';

export interface GoldenInput {
  namespace: string;
  /** Services to compare, e.g. `<service>-stable` and `<service>-canary`. */
  stableService: string;
  canaryService: string;
  /** When the second service is in another namespace (a restored copy). */
  canaryNamespace?: string;
  model: string;
  prompts: string[];
  maxTokens: number;
  /** Presented with every prompt (read from its Secret by the worker). */
  credentials?: RouteCredentials;
}

export interface GoldenResult {
  compared: number;
  mismatches: { prompt: string; stable: string; canary: string }[];
  /** Prompts neither side answered (errors), with why. */
  failures: { prompt: string; error: string }[];
}

async function answer(
  cfg: EndpointConfig,
  headers: Record<string, string>,
  namespace: string,
  service: string,
  model: string,
  prompt: string,
  maxTokens: number,
): Promise<string> {
  const res = await postJson(
    { ...serviceEndpoint(cfg, service, namespace), headers },
    '/v1/completions',
    { model, prompt, temperature: 0, max_tokens: maxTokens, seed: 0 },
    30_000,
  );
  const text = await readAll(res);
  if ((res.statusCode ?? 0) >= 300) throw new Error(`${service}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { choices: { text: string }[] }).choices[0]?.text ?? '';
}

export async function compareGoldenPrompts(
  cfg: EndpointConfig,
  input: GoldenInput,
  headers: Record<string, string> = {},
): Promise<GoldenResult> {
  const result: GoldenResult = { compared: 0, mismatches: [], failures: [] };
  for (const prompt of input.prompts) {
    try {
      const [stable, canary] = await Promise.all([
        answer(cfg, headers, input.namespace, input.stableService, input.model, prompt, input.maxTokens),
        answer(cfg, headers, input.canaryNamespace ?? input.namespace, input.canaryService, input.model, prompt, input.maxTokens),
      ]);
      result.compared++;
      if (stable !== canary) result.mismatches.push({ prompt, stable: stable.slice(0, 200), canary: canary.slice(0, 200) });
    } catch (err) {
      result.failures.push({ prompt: prompt.slice(0, 80), error: (err as Error).message });
    }
  }
  return result;
}
