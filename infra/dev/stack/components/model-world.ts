import { join } from 'node:path';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { REPO_ROOT } from '../paths';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type ModelWorldState = NonNullable<StackState['modelWorld']>;

export const STACK_GATEWAY = 'gateway-system/local';

/** The pod runner (simulated model servers for kwok pods) and the router, as one TypeScript process. */
export async function startModelWorld(
  dir: string,
  deps: { kubeconfig: string; fileSdDir: string },
  prev?: ModelWorldState,
): Promise<ModelWorldState> {
  if (prev && isAlive(prev.pid) && (await answers(`${prev.routerUrl}/_router/healthz`))) return prev;
  const port = prev ? Number(new URL(prev.routerUrl).port) : await freePort();
  const logFile = join(dir, 'logs', 'model-world.log');
  const pid = startDaemon({
    name: 'model-world',
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'infra', 'dev', 'model-world', 'main.ts')],
    cwd: REPO_ROOT,
    env: {
      KUBECONFIG: deps.kubeconfig,
      MODEL_WORLD_FILE_SD_DIR: deps.fileSdDir,
      MODEL_WORLD_ROUTER_PORT: String(port),
      MODEL_WORLD_GATEWAY: STACK_GATEWAY,
    },
    logFile,
  });
  const routerUrl = `http://127.0.0.1:${port}`;
  await waitFor('model world (pod runner + router)', async () => isAlive(pid) && answers(`${routerUrl}/_router/healthz`), 60_000, logFile);
  return { pid, routerUrl, gateway: STACK_GATEWAY };
}
