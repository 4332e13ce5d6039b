import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { run } from '../exec';
import { bin } from '../paths';
import { freePort } from '../ports';
import type { StackState } from '../state';

type TemporalState = NonNullable<StackState['temporal']>;

async function healthy(address: string): Promise<boolean> {
  try {
    const out = await run(bin('temporal'), ['operator', 'cluster', 'health', '--address', address], { timeoutMs: 5000 });
    return out.includes('SERVING');
  } catch {
    return false;
  }
}

/** Temporal's dev server with a database file, so workflow histories survive a restart of the stack. */
export async function startTemporal(dir: string, prev?: TemporalState): Promise<TemporalState> {
  if (prev && isAlive(prev.pid) && (await healthy(prev.address))) return prev;
  const home = join(dir, 'temporal');
  mkdirSync(home, { recursive: true });
  const port = prev ? Number(prev.address.split(':')[1]) : await freePort();
  const uiPort = prev ? Number(new URL(prev.uiUrl).port) : await freePort();
  const metricsPort = prev?.metricsPort ?? (await freePort());
  const dbFile = join(home, 'temporal.db');
  const logFile = join(dir, 'logs', 'temporal.log');
  const pid = startDaemon({
    name: 'temporal',
    command: bin('temporal'),
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--metrics-port',
      String(metricsPort),
      '--db-filename',
      dbFile,
      '--log-level',
      'warn',
      '--ui-disable-news-fetch',
    ],
    logFile,
  });
  const address = `127.0.0.1:${port}`;
  await waitFor('Temporal dev server', async () => isAlive(pid) && healthy(address), 60_000, logFile);
  return { pid, address, uiUrl: `http://127.0.0.1:${uiPort}`, metricsPort, dbFile };
}
