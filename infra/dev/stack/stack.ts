import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, stopDaemon } from './daemon';
import { ensureInstalled } from './install';
import { stackDir } from './paths';
import { readState, writeState, type StackState } from './state';
import { startAlertmanager } from './components/alertmanager';
import { answers } from './components/http-check';
import { kubernetesHealthy, startKubernetes, stopKubernetes } from './components/kubernetes';
import { startPrometheus } from './components/prometheus';
import { startModelWorld } from './components/model-world';
import { startRegistry } from './components/registry';
import { startS3 } from './components/s3';
import { ensureTestSigstore } from '../sigstore/test-sigstore';
import { startTemporal } from './components/temporal';

export const DEFAULT_STACK = process.env.AUTOGLM_STACK ?? 'dev';

/**
 * One `stack:up` or `stack:down` at a time per stack: a second caller fails at once instead of
 * racing. A lock left by a process that died is taken over.
 */
function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (attempt > 0 || isAlive(holder)) throw new Error(`stack command ${holder} holds ${lock}; wait for it to finish`);
      rmSync(lock, { force: true });
    }
  }
  return fn().finally(() => rmSync(lock, { force: true }));
}

/** Starts whatever part of the stack is not running (idempotent) and returns where everything is. */
export function stackUp(name: string = DEFAULT_STACK): Promise<StackState> {
  const dir = stackDir(name);
  return withLock(dir, async () => {
    await ensureInstalled();
    const prev = readState(name);
    // Prometheus and the model world hold the cluster's credentials and watches: a cluster started
    // again (or made anew) gets them started again too.
    const clusterRuns = !!prev?.kubernetes && (await kubernetesHealthy(prev.kubernetes, dir));
    const clusterRestarts = !!prev?.kubernetes && !clusterRuns;
    if (clusterRestarts) await Promise.all([stopDaemon(prev.modelWorld?.pid), stopDaemon(prev.prometheus?.pid)]);
    const state: StackState = { name, dir, startedAt: prev?.startedAt ?? new Date().toISOString() };
    const failures: string[] = [];
    const settle = async <K extends keyof StackState>(key: K, start: () => Promise<StackState[K]>) => {
      try {
        state[key] = await start();
      } catch (err) {
        failures.push(`${String(key)}: ${(err as Error).message}`);
      }
    };
    await Promise.all([
      settle('temporal', () => startTemporal(dir, prev?.temporal)),
      settle('kubernetes', () => startKubernetes(dir, clusterRuns)),
      settle('registry', () => startRegistry(dir, prev?.registry)),
      settle('s3', () => startS3(dir, prev?.s3)),
      settle('alertmanager', () => startAlertmanager(dir, prev?.alertmanager)),
      settle('sigstore', async () => ({ trustedRoot: (await ensureTestSigstore(dir)).trustedRootPath })),
    ]);
    if (state.alertmanager && state.temporal && state.kubernetes) {
      const targets = {
        alertmanagerUrl: state.alertmanager.url,
        temporalMetricsPort: state.temporal.metricsPort,
        kubeconfig: state.kubernetes.kubeconfig,
      };
      await settle('prometheus', () => startPrometheus(dir, targets, clusterRestarts ? undefined : prev?.prometheus));
    }
    if (state.kubernetes && state.prometheus) {
      const deps = { kubeconfig: state.kubernetes.kubeconfig, fileSdDir: state.prometheus.fileSdDir };
      await settle('modelWorld', () => startModelWorld(dir, deps, clusterRestarts ? undefined : prev?.modelWorld));
    }
    writeState(state); // what did start is recorded, so `stack:down` can stop it
    if (failures.length > 0) throw new Error(`stack ${name} did not fully start:\n  ${failures.join('\n  ')}`);
    return state;
  });
}

/** Stops every part; with purge, also deletes the stack's data (histories, etcd, registry, metrics). */
export function stackDown(name: string = DEFAULT_STACK, opts: { purge?: boolean } = {}): Promise<void> {
  const dir = stackDir(name);
  return withLock(dir, async () => {
    const state = readState(name);
    await stopDaemon(state?.modelWorld?.pid); // before the apiserver it watches
    await Promise.all([
      stopDaemon(state?.prometheus?.pid),
      stopDaemon(state?.alertmanager?.pid),
      stopDaemon(state?.registry?.pid),
      stopDaemon(state?.s3?.pid),
      stopDaemon(state?.temporal?.pid),
      stopKubernetes(dir, opts.purge ?? false),
    ]);
    if (opts.purge) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
}

export interface ComponentStatus {
  component: string;
  up: boolean;
  endpoint?: string;
}

export async function stackStatus(name: string = DEFAULT_STACK): Promise<ComponentStatus[]> {
  const state = readState(name);
  const live = async (pid: number | undefined, url: string | undefined) => isAlive(pid) && !!url && answers(url);
  return [
    { component: 'temporal', up: isAlive(state?.temporal?.pid), endpoint: state?.temporal?.address },
    {
      component: 'kubernetes',
      up: state?.kubernetes ? await kubernetesHealthy(state.kubernetes, state.dir) : false,
      endpoint: state?.kubernetes?.server,
    },
    {
      component: 'prometheus',
      up: await live(state?.prometheus?.pid, state?.prometheus && `${state.prometheus.url}/-/ready`),
      endpoint: state?.prometheus?.url,
    },
    {
      component: 'alertmanager',
      up: await live(state?.alertmanager?.pid, state?.alertmanager && `${state.alertmanager.url}/-/ready`),
      endpoint: state?.alertmanager?.url,
    },
    {
      component: 'registry',
      up: await live(state?.registry?.pid, state?.registry && `${state.registry.url}/v2/`),
      endpoint: state?.registry?.url,
    },
    {
      component: 's3 (SeaweedFS)',
      up: await live(state?.s3?.pid, state?.s3 && `${state.s3.endpoint}/healthz`),
      endpoint: state?.s3?.endpoint,
    },
    {
      component: 'sigstore (test CA + log)',
      up: !!state?.sigstore && existsSync(state.sigstore.trustedRoot),
      endpoint: state?.sigstore?.trustedRoot,
    },
    {
      component: 'model-world',
      up: await live(state?.modelWorld?.pid, state?.modelWorld && `${state.modelWorld.routerUrl}/_router/healthz`),
      endpoint: state?.modelWorld?.routerUrl,
    },
  ];
}
