import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { which } from '../exec';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type RegistryState = NonNullable<StackState['registry']>;

/** The OCI registry (Debian's docker-registry, CNCF distribution 2.8) on the filesystem of the stack. */
export async function startRegistry(dir: string, prev?: RegistryState): Promise<RegistryState> {
  if (prev && isAlive(prev.pid) && (await answers(`${prev.url}/v2/`))) return prev;
  const home = join(dir, 'registry');
  mkdirSync(join(home, 'data'), { recursive: true });
  const port = prev ? Number(new URL(prev.url).port) : await freePort();
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'text' },
    storage: { filesystem: { rootdirectory: join(home, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}` },
  };
  writeFileSync(join(home, 'config.yml'), stringify(config));
  const logFile = join(dir, 'logs', 'registry.log');
  const program = (await which('docker-registry')) ?? 'docker-registry';
  const pid = startDaemon({ name: 'registry', command: program, args: ['serve', join(home, 'config.yml')], logFile });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('OCI registry', async () => isAlive(pid) && answers(`${url}/v2/`), 30_000, logFile);
  return { pid, host: `127.0.0.1:${port}`, url };
}
