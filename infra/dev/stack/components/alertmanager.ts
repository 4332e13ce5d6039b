import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { which } from '../exec';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type AlertmanagerState = NonNullable<StackState['alertmanager']>;

export async function startAlertmanager(dir: string, prev?: AlertmanagerState): Promise<AlertmanagerState> {
  if (prev && isAlive(prev.pid) && (await answers(`${prev.url}/-/ready`))) return prev;
  const home = join(dir, 'alertmanager');
  mkdirSync(join(home, 'data'), { recursive: true });
  const port = prev ? Number(new URL(prev.url).port) : await freePort();
  // Alerts stay local: one receiver with no integration, visible in the API and UI.
  const config = { route: { receiver: 'local', group_wait: '5s', group_interval: '10s' }, receivers: [{ name: 'local' }] };
  writeFileSync(join(home, 'alertmanager.yml'), stringify(config));
  const logFile = join(dir, 'logs', 'alertmanager.log');
  const program = (await which('prometheus-alertmanager')) ?? 'prometheus-alertmanager';
  const pid = startDaemon({
    name: 'alertmanager',
    command: program,
    args: [
      `--config.file=${join(home, 'alertmanager.yml')}`,
      `--storage.path=${join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Alertmanager', async () => isAlive(pid) && answers(`${url}/-/ready`), 30_000, logFile);
  return { pid, url };
}
