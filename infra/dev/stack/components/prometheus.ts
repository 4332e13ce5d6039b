import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { REPO_ROOT, bin } from '../paths';
import { PROMETHEUS_POD_NETWORK_RELABEL } from '../pod-network';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type PrometheusState = NonNullable<StackState['prometheus']>;

export const SCRAPE_INTERVAL = '2s';

/**
 * The model-server job production runs (infra/prometheus/scrape/), against this API server, with
 * the stack's pod network (pod IP → its loopback address) as the last relabelling step.
 */
export function modelServerJob(kubeconfig: string): Record<string, unknown> {
  const job = parse(readFileSync(join(REPO_ROOT, 'infra', 'prometheus', 'scrape', 'model-servers.yml'), 'utf8')) as {
    kubernetes_sd_configs: Record<string, unknown>[];
    relabel_configs: Record<string, unknown>[];
  };
  return {
    ...job,
    kubernetes_sd_configs: job.kubernetes_sd_configs.map((sd) => ({ ...sd, kubeconfig_file: kubeconfig })),
    relabel_configs: [...job.relabel_configs, ...PROMETHEUS_POD_NETWORK_RELABEL],
  };
}

/**
 * Prometheus with the project's configuration: a short scrape interval so canary analysis sees
 * fresh data, the project's rules (infra/prometheus/rules), model-server pods found by Kubernetes
 * service discovery with the relabelling production uses, and the dcgm-exporter stand-ins of the
 * GPU nodes (file_sd written by the model world; their own namespace/pod labels kept, as the
 * dcgm-exporter's must be).
 */
export async function startPrometheus(
  dir: string,
  targets: { alertmanagerUrl: string; temporalMetricsPort: number; kubeconfig: string },
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
      modelServerJob(targets.kubeconfig),
      {
        job_name: 'dcgm-exporter',
        honor_labels: true,
        file_sd_configs: [{ files: [join(fileSdDir, 'dcgm-*.json')], refresh_interval: '2s' }],
      },
    ],
  };
  writeFileSync(join(home, 'prometheus.yml'), stringify(config));
  const logFile = join(dir, 'logs', 'prometheus.log');
  const program = bin('prometheus');
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
