/**
 * One simulated model server on its own, outside the stack (benchmarks point load tools at it):
 *   tsx infra/dev/model-world/serve-one.ts   (behaviour from SIM_* env, port from PORT or free)
 * Prints `listening <port>` once it accepts requests; stops on SIGTERM.
 */
import { behaviourFromEnv } from './behaviour';
import { SimServer } from './sim-server';

async function main(): Promise<void> {
  const server = new SimServer(behaviourFromEnv(process.env));
  const port = await server.listen(Number(process.env.PORT ?? 0));
  console.log(`listening ${port}`);
  process.on('SIGTERM', () => void server.close(0).then(() => process.exit(0)));
}

void main();
