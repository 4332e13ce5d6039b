/**
 * One simulated model server on its own, outside the stack (benchmarks point load tools at it),
 * started with vLLM's own command line:
 *   tsx infra/dev/model-world/serve-one.ts vllm serve <model> [--port N] [vLLM flags…]
 * Behaviour from SIM_* env. Prints `listening <port>` once it accepts requests; stops on SIGTERM.
 * A command line vLLM refuses exits with vLLM's code (2 for a flag argparse refuses).
 */
import { simulatedServer } from './launch';
import { ServeError } from './serving-config';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let server;
  try {
    server = simulatedServer(argv.slice(0, 2), argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ServeError)) throw err;
    console.error(err.message);
    process.exit(err.exitCode);
  }
  const port = await server.listen();
  console.log(`listening ${port}`);
  process.on('SIGTERM', () => void server.close(server.serving.shutdownTimeoutSeconds * 1000).then(() => process.exit(0)));
}

void main();
