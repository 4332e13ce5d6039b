/**
 * SGLang (`python3 -m sglang.launch_server`). Its flags are rendered from the spec by the names
 * of SGLang's server arguments; unlike vLLM's, they are not checked against a derived flag set
 * (no SGLang contract is pinned yet), and weights streamed from object storage are refused.
 */
import { modelArgument, tensorParallelProblems, tensorParallelSize, type ServingEngine, type SpecProblem } from './engine';
import type { ServiceSpecShape } from './spec-shape';

function problems(spec: ServiceSpecShape): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (spec.model.source && 'uri' in spec.model.source) {
    out.push({ path: ['model', 'source'], message: 'the sglang engine here loads from a PVC or the hub, not from object storage' });
  }
  out.push(...tensorParallelProblems(spec));
  return out;
}

export const sglang: ServingEngine = {
  name: 'sglang',
  problems,
  container: (spec) => {
    const s = spec.server;
    return {
      command: ['python3', '-m', 'sglang.launch_server'],
      args: [
        '--model-path',
        modelArgument(spec),
        '--served-model-name',
        spec.model.name,
        '--host',
        '0.0.0.0',
        '--port',
        String(spec.container.port),
        '--tp-size',
        String(tensorParallelSize(spec)),
        // SGLang exports Prometheus metrics only when asked.
        '--enable-metrics',
        ...(s.quantization ? ['--quantization', s.quantization] : []),
        ...(s.maxModelLen ? ['--context-length', String(s.maxModelLen)] : []),
        ...(s.gpuMemoryUtilization ? ['--mem-fraction-static', String(s.gpuMemoryUtilization)] : []),
        ...(s.prefixCaching === false ? ['--disable-radix-cache'] : []),
        ...s.extraArgs,
      ],
      healthPath: '/health',
      readyPath: '/v1/models',
      metricsPath: '/metrics',
    };
  },
};
