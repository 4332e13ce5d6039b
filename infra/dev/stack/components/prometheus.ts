import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { which } from '../exec';
import { REPO_ROOT } from '../paths';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type PrometheusState = NonNullable<StackState['prometheus']>;

export const SCRAPE_INTERVAL = '2s';

/**
 * Prometheus with the project's configuration: a short scrape interval so canary analysis sees
 * fresh data, the project's rules (infra/prometheus/rules), and file_sd for model-server pods
 * (written by the pod runner of the local stack).
 */
export async function startPrometheus(
  dir: string,
  targets: { alertmanagerUrl: string; temporalMetricsPort: number },
  prev?: PrometheusState,
): Promise<PrometheusState> {
  if (prev && isAlive(prev.pid) && (await answers(`${prev.url}/-/ready`))) return prev;
  const home = join(dir, 'prometheus');
  const fileSdDir = join(home, 'file_sd');
  mkdirSync(join(home, 'data'), { recursive: true });
  mkdirSync(fileSdDir, { recursive: true });
  const port = prev ? Number(new URL(prev.url).port) : await freePort();
  const rulesDir = join(REPO_ROOT, 'infra', 'prometheus', 'rules');
  const config = {
    global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL, external_labels: { stack: 'local' } },
    rule_files: [join(rulesDir, '*.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(targets.alertmanagerUrl).host] }] }] },
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
      { job_name: 'alertmanager', static_configs: [{ targets: [new URL(targets.alertmanagerUrl).host] }] },
      { job_name: 'temporal', static_configs: [{ targets: [`127.0.0.1:${targets.temporalMetricsPort}`] }] },
      { job_name: 'model-servers', file_sd_configs: [{ files: [join(fileSdDir, '*.json')], refresh_interval: '2s' }] },
    ],
  };
  writeFileSync(join(home, 'prometheus.yml'), stringify(config));
  const logFile = join(dir, 'logs', 'prometheus.log');
  const program = (await which('prometheus')) ?? 'prometheus';
  const pid = startDaemon({
    name: 'prometheus',
    command: program,
    args: [
      `--config.file=${join(home, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=2d',
    ],
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus', async () => isAlive(pid) && answers(`${url}/-/ready`), 60_000, logFile);
  return { pid, url, fileSdDir, rulesDir };
}
