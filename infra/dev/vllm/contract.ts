/**
 * The serving contract of the pinned vLLM release, derived from its wheel: the flags of
 * `vllm serve`, the engine's Prometheus metrics and the HTTP metrics of its API server. The
 * wheel is downloaded once into the stack's cache (`pip download --no-deps`: never installed,
 * it needs CUDA) and read by parsing, so nothing of vLLM runs here.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../stack/exec';
import { CACHE_DIR } from '../stack/paths';
import { serveFlags } from './cli-flags';
import { engineMetrics, excludedHandlers, httpMetrics } from './metrics';
import { parseWheel } from './python-ast';
import { TypeHints } from './type-hints';

/** The newest vLLM the package registry serves here. */
export const VLLM_VERSION = '0.33.0';
/** vLLM 0.33.0 requires prometheus-fastapi-instrumentator>=8.0.0; the newest is pinned. */
export const INSTRUMENTATOR_VERSION = '8.1.0';

export const wheelDir = () => join(CACHE_DIR, 'wheels');

import type { VllmContract } from '../../../core/server/vllm-contract';
export type { VllmContract };

/** The wheel of `name==version` in the cache, downloaded once. */
export async function ensureWheel(name: string, version: string): Promise<string> {
  const dir = wheelDir();
  const prefix = `${name.replace(/-/g, '_')}-${version}-`;
  const find = () => (existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.whl')) : undefined);
  if (!find()) {
    mkdirSync(dir, { recursive: true });
    await run('pip', ['download', '--quiet', '--no-deps', '--disable-pip-version-check', `${name}==${version}`, '-d', dir]);
  }
  const file = find();
  if (!file) throw new Error(`pip download ${name}==${version} left no wheel in ${dir}`);
  return join(dir, file);
}

const FILES = {
  argUtils: 'vllm/engine/arg_utils.py',
  cliArgs: 'vllm/entrypoints/common/cli_args.py',
  loggers: 'vllm/v1/metrics/loggers.py',
  instrumentator: 'vllm/entrypoints/serve/instrumentator/metrics.py',
  quantization: 'vllm/model_executor/layers/quantization/__init__.py',
  loaders: 'vllm/model_executor/model_loader/__init__.py',
  engine: 'vllm/v1/engine/__init__.py',
} as const;

function tupleOrLiteral(hints: TypeHints, module: string, name: string): string[] {
  const atoms = hints.atoms({ _type: 'Name', id: name }, module);
  return atoms.flatMap((a) => (a.kind === 'literal' ? a.values.map(String) : []));
}

export async function deriveContract(): Promise<VllmContract> {
  const wheel = await ensureWheel('vllm', VLLM_VERSION);
  const ast = await parseWheel(wheel, 'vllm', Object.values(FILES));
  const tree = (file: string) => {
    const t = ast.full[file];
    if (!t) throw new Error(`vLLM ${VLLM_VERSION}'s wheel has no ${file}: the contract must be derived from other files`);
    return t;
  };
  const hints = new TypeHints({ ...ast.declarations, ...ast.full });
  const flags = serveFlags({
    argUtils: tree(FILES.argUtils),
    cliArgs: tree(FILES.cliArgs),
    argUtilsFile: FILES.argUtils,
    cliArgsFile: FILES.cliArgs,
    hints,
  });
  const pfiWheel = await ensureWheel('prometheus-fastapi-instrumentator', INSTRUMENTATOR_VERSION);
  const pfi = await parseWheel(pfiWheel, 'prometheus_fastapi_instrumentator', ['prometheus_fastapi_instrumentator/metrics.py'], 0);
  return {
    version: VLLM_VERSION,
    flags,
    quantizationMethods: tupleOrLiteral(hints, 'vllm.model_executor.layers.quantization.__init__', 'QuantizationMethods'),
    loadFormats: tupleOrLiteral(hints, 'vllm.model_executor.model_loader.__init__', 'LoadFormats'),
    finishedReasons: finishReasons(tree(FILES.engine)),
    metrics: engineMetrics(tree(FILES.loggers)),
    httpMetrics: httpMetrics(pfi.full['prometheus_fastapi_instrumentator/metrics.py']!),
    httpExcludedHandlers: excludedHandlers(tree(FILES.instrumentator)),
  };
}

/** FINISH_REASON_STRINGS = (...) in vllm/v1/engine. */
function finishReasons(engine: import('./python-ast').PyNode): string[] {
  for (const stmt of engine.body as import('./python-ast').PyNode[]) {
    const target = (stmt.targets as { id?: string }[] | undefined)?.[0];
    if (stmt._type === 'Assign' && target?.id === 'FINISH_REASON_STRINGS') {
      return ((stmt.value as { elts: { value: string }[] }).elts ?? []).map((e) => e.value);
    }
  }
  return [];
}
