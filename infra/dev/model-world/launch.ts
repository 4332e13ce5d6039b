/** Starts a simulated server as a container would start vLLM: from its command, args and env. */
import { behaviourFromEnv } from './behaviour';
import { servingConfigFrom } from './serving-config';
import { SimServer } from './sim-server';
import { weightsLoaderFor } from './weights-loader';

/** Throws ServeError (with vLLM's exit code) for a command line vLLM would refuse. */
export function simulatedServer(
  command: readonly string[],
  args: readonly string[],
  env: Record<string, string | undefined>,
  startedAt = Date.now(),
): SimServer {
  const serving = servingConfigFrom(command, args);
  return new SimServer(behaviourFromEnv(env), serving, startedAt, weightsLoaderFor(serving, env));
}

/** `vllm serve <model> --served-model-name <name> --port 0`: what tests and benchmarks start by default. */
export const vllmServe = (model: string, ...flags: string[]) => ({
  command: ['vllm', 'serve'],
  args: [model, '--served-model-name', model, '--port', '0', ...flags],
});

/** The same, as the first two arguments of simulatedServer. */
export const vllmServeArgs = (model: string, ...flags: string[]): [string[], string[]] => {
  const { command, args } = vllmServe(model, ...flags);
  return [command, args];
};
