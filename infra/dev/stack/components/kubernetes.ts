import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, waitFor } from '../daemon';
import { envoyGatewayCrdDir, gatewayCrdDir, prometheusOperatorCrdDir } from '../install';
import { run } from '../exec';
import { REPO_ROOT, bin } from '../paths';
import { POD_CIDR } from '../pod-network';
import type { StackState } from '../state';

type KubernetesState = NonNullable<StackState['kubernetes']>;

const CLUSTER = 'autoglm';

/**
 * The kwok controller's configuration. kwokctl passes a given one on without kwok's defaults, so
 * the parallelism settings kwok would default (its zz_generated.defaults.go) are spelled out.
 */
const kwokConfiguration = () =>
  [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokConfiguration',
    'options:',
    `  cidr: ${POD_CIDR}`,
    '  podPlayStageParallelism: 4',
    '  nodePlayStageParallelism: 4',
    '  nodeLeaseParallelism: 4',
    '  podsOnNodeSyncParallelism: 1',
    '  enablePodsOnNodeSyncListPager: true',
    '  enableDebuggingHandlers: true',
    '',
  ].join('\n');
const KWOK_DIR = join(REPO_ROOT, 'infra', 'dev', 'kwok');

/**
 * The apiserver's default Service range is a /24: 253 ClusterIPs, which a benchmark with a few
 * hundred services (or a test run's leftovers) fills, after which every new Service fails with a
 * 500. A /16 in the benchmarking block (RFC 2544) beside the pods' 198.18.0.0/16, no private range:
 * ClusterIPs are never dialled here (no kube-proxy), all traffic stays on 127.0.0.0/8.
 */
const SERVICE_CIDR = '198.19.0.0/16';

/**
 * Flags beyond kwokctl's. The controller manager and scheduler run alone: with leader election
 * they exit the first time a busy API server (bench:scale) answers a lease renewal late, and
 * nothing restarts them — every Deployment then stays without pods.
 */
const CLUSTER_ARGS = [
  `kube-apiserver=service-cluster-ip-range=${SERVICE_CIDR}`,
  'kube-controller-manager=leader-elect=false',
  'kube-scheduler=leader-elect=false',
];
/** The flags a cluster was made with, beside it: one made with others is made anew (its objects are the stack's own). */
const ARGS_FILE = 'autoglm-cluster-args.json';
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'];

/** Every control-plane process of the cluster is running (kwokctl keeps their pids). */
function componentsAlive(clusterDir: string): boolean {
  return COMPONENTS.every((name) => {
    const pidFile = join(clusterDir, 'pids', `${name}.pid`);
    return existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8').trim()));
  });
}

/** kwokctl runs the real etcd, kube-apiserver, controller-manager and scheduler we built, plus kwok's node simulator. */
const kwokctl = (dir: string, args: string[]) =>
  run(bin('kwokctl'), ['--name', CLUSTER, ...args], {
    env: { KWOK_WORKDIR: join(dir, 'kwok'), KWOK_KUBECTL_BINARY: bin('kubectl') },
    logFile: join(dir, 'logs', 'kwokctl.log'),
  });

export const kubectl = (kubeconfig: string, args: string[], input?: string) =>
  run(bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { input, timeoutMs: 60_000 });

async function apiserverReady(kubeconfig: string): Promise<boolean> {
  try {
    return (await kubectl(kubeconfig, ['get', '--raw', '/readyz'])).trim() === 'ok';
  } catch {
    return false;
  }
}

/** `runs`: kubernetesHealthy found the cluster whole, so it is left as it is; otherwise it is (re)started or made. */
export async function startKubernetes(dir: string, runs: boolean): Promise<KubernetesState> {
  const clusterDir = join(dir, 'kwok', 'clusters', CLUSTER);
  const kubeconfig = join(clusterDir, 'kubeconfig.yaml');
  if (!runs) {
    const clusterConfig = join(clusterDir, 'kwok.yaml');
    const argsFile = join(dir, ARGS_FILE);
    if (existsSync(clusterConfig) && (!existsSync(argsFile) || readFileSync(argsFile, 'utf8') !== JSON.stringify(CLUSTER_ARGS))) {
      await kwokctl(dir, ['delete', 'cluster']);
    }
    if (existsSync(clusterConfig)) {
      await kwokctl(dir, ['stop', 'cluster']); // what still runs of it, so that start brings all of it up
      await kwokctl(dir, ['start', 'cluster', '--wait', '120s']); // same data, same ports
    } else {
      // kwokctl takes the stages from the config: with any Stage given it adds none of its defaults.
      const config = join(dir, 'kwokctl.yaml');
      writeFileSync(
        config,
        [
          'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\noptions:\n  runtime: binary\n',
          kwokConfiguration(),
          readFileSync(join(KWOK_DIR, 'stages.yaml'), 'utf8'),
        ].join('---\n'),
      );
      await kwokctl(dir, [
        'create',
        'cluster',
        '--runtime',
        'binary',
        '--config',
        config,
        '--kubeconfig',
        join(dir, 'kubeconfig.merged.yaml'),
        ...CLUSTER_ARGS.flatMap((arg) => ['--extra-args', arg]),
        '--kube-apiserver-binary',
        bin('kube-apiserver'),
        '--kube-controller-manager-binary',
        bin('kube-controller-manager'),
        '--kube-scheduler-binary',
        bin('kube-scheduler'),
        '--etcd-binary',
        bin('etcd'),
        '--kwok-controller-binary',
        bin('kwok'),
        '--wait',
        '120s',
      ]);
      writeFileSync(argsFile, JSON.stringify(CLUSTER_ARGS));
    }
    await waitFor('kube-apiserver', () => apiserverReady(kubeconfig), 120_000, join(clusterDir, 'logs', 'kube-apiserver.log'));
  }
  // The stack owns these objects: a second `up` takes back fields the controllers set meanwhile (a node's ttl annotation).
  const apply = (file: string) =>
    kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=autoglm-stack', '-f', file]);
  await apply(join(KWOK_DIR, 'gpu-nodes.yaml'));
  // Gateway API: the CRDs, then the stack's Gateway that the model-world router serves.
  await apply(gatewayCrdDir());
  await apply(envoyGatewayCrdDir()); // the gateway policies infra/k8s ships (the router honours them)
  await apply(prometheusOperatorCrdDir()); // the PodMonitor infra/prometheus ships validates against it
  await kubectl(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/httproutes.gateway.networking.k8s.io',
    'crd/gateways.gateway.networking.k8s.io',
    'crd/backendtrafficpolicies.gateway.envoyproxy.io',
    'crd/securitypolicies.gateway.envoyproxy.io',
    'crd/podmonitors.monitoring.coreos.com',
  ]);
  await apply(join(REPO_ROOT, 'infra', 'dev', 'gateway', 'gateway.yaml'));
  const server = (await kubectl(kubeconfig, ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim();
  return { cluster: CLUSTER, kubeconfig, server };
}

export async function stopKubernetes(dir: string, purge: boolean): Promise<void> {
  if (!existsSync(join(dir, 'kwok', 'clusters', CLUSTER))) return;
  await kwokctl(dir, [purge ? 'delete' : 'stop', 'cluster']);
}

export async function kubernetesHealthy(state: KubernetesState, dir: string): Promise<boolean> {
  return componentsAlive(join(dir, 'kwok', 'clusters', CLUSTER)) && apiserverReady(state.kubeconfig);
}
