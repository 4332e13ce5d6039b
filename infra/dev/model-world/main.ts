/**
 * The model-serving world of the local stack, as one process: the pod runner (simulated model
 * servers for kwok pods, on their pod IPs), the kubelet's prober for them (kubelet.ts), the router (Gateway API weights / EndpointSlices) and
 * the dcgm-exporter stand-ins of the GPU nodes.
 * Env: KUBECONFIG, MODEL_WORLD_FILE_SD_DIR (dcgm targets), MODEL_WORLD_ROUTER_PORT, MODEL_WORLD_GATEWAY (ns/name).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DcgmExporters } from './dcgm-exporter';
import { Kubelet } from './kubelet';
import { PodRunner } from './pod-runner';
import { Router } from './router';

async function main(): Promise<void> {
  const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  const [gwNamespace, gwName] = (process.env.MODEL_WORLD_GATEWAY ?? 'gateway-system/local').split('/');
  const runner = new PodRunner(kc, core, log);
  await runner.start();
  const kubelet = new Kubelet(core, runner, log);
  kubelet.start();
  const dcgm = new DcgmExporters(kc, core, runner, process.env.MODEL_WORLD_FILE_SD_DIR ?? '/tmp/model-world-file-sd', log);
  await dcgm.start();
  const router = new Router(kc, core, { namespace: gwNamespace!, name: gwName! }, log);
  const port = await router.start(Number(process.env.MODEL_WORLD_ROUTER_PORT ?? 0));
  log(`model world up: router on 127.0.0.1:${port}`);
  const stop = async () => {
    await router.stop();
    await dcgm.stop();
    kubelet.stop();
    await runner.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: Error) => {
  console.error(`model world failed: ${err.message}`);
  process.exit(1);
});
