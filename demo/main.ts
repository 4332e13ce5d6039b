/**
 * `npm run demo`: the main job on the local stack. Today it shows the foundation end to end — the
 * real stack, a signed image, the worker running the pre-flight workflow against the real GPU
 * pools, and a model Deployment scheduled onto a pool and Ready after its model load. It grows
 * into the full release story as the pipeline lands.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { connectKube } from '../activities/kubernetes/client';
import type { PoolCapacity } from '../core/gpu-capacity';
import { publishImage } from '../infra/dev/image/publish';
import { run } from '../infra/dev/stack/exec';
import { bin } from '../infra/dev/stack/paths';
import { stackUp } from '../infra/dev/stack/stack';
import { Runtime } from '@temporalio/worker';
import { JsonLogger } from '../worker/logger';
import { createWorker } from '../worker/worker';
import { loadWorkerConfig } from '../worker/config';

const step = (msg: string) => console.log(`\n▶ ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const t0 = Date.now();
  const figures: [string, string][] = [];
  const took = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

  step('bringing the local stack up (Temporal, Kubernetes + kwok GPU pools, Prometheus, Alertmanager, OCI registry)');
  let since = Date.now();
  const stack = await stackUp();
  figures.push(['stack up', took(since)]);
  console.log(`  Temporal ${stack.temporal!.address} (UI ${stack.temporal!.uiUrl}), apiserver ${stack.kubernetes!.server}, Prometheus ${stack.prometheus!.url}`);

  step('building, pushing and signing a model-server image (crane + cosign, key-based)');
  since = Date.now();
  const image = await publishImage(stack, { repository: 'autoglm/model-server', tag: `demo-${Date.now()}` });
  await run(bin('cosign'), ['verify', '--key', image.publicKeyPath, '--insecure-ignore-tlog=true', image.reference]);
  figures.push(['image pushed, signed, verified', took(since)]);
  console.log(`  ${image.reference}\n  cosign verify --key: OK`);

  step('starting the worker and running the pre-flight workflow (inspectGpuPools)');
  const taskQueue = `demo-${randomBytes(3).toString('hex')}`;
  const config = loadWorkerConfig({ taskQueue, logLevel: 'WARN' }, { ...process.env, TEMPORAL_ADDRESS: stack.temporal!.address, KUBECONFIG: stack.kubernetes!.kubeconfig });
  Runtime.install({ logger: new JsonLogger('WARN') }); // the story on stdout, only problems from the SDK
  const { worker, connection: workerConnection } = await createWorker(config);
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const kube = connectKube(stack.kubernetes!.kubeconfig);
  const namespace = 'autoglm-demo';

  await worker.runUntil(async () => {
    const inspect = async () =>
      client.workflow.execute('inspectGpuPools', { taskQueue, workflowId: `demo-inspect-${Date.now()}`, args: [{ pools: ['a100', 'l4'] }] }) as Promise<PoolCapacity[]>;
    printPools('before', await inspect());

    step('deploying a model server that needs 8 GPUs and 5 s to load its weights, onto the a100 pool');
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    while (await kube.core.readNamespace({ name: namespace }).then(() => true, () => false)) await sleep(250);
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    since = Date.now();
    await kube.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'autoglm' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'autoglm' } },
          template: {
            metadata: { labels: { app: 'autoglm' } },
            spec: {
              nodeSelector: { pool: 'a100' },
              tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'server', image: image.reference, env: [{ name: 'SIM_MODEL_LOAD_DELAY', value: '5s' }], resources: { limits: { 'nvidia.com/gpu': '8' } } }],
            },
          },
        },
      },
    });
    for (;;) {
      const d = await kube.apps.readNamespacedDeployment({ name: 'autoglm', namespace });
      process.stdout.write(`\r  ready replicas: ${d.status?.readyReplicas ?? 0}/1  (${took(since)})   `);
      if ((d.status?.readyReplicas ?? 0) >= 1) break;
      await sleep(500);
    }
    figures.push(['model pod scheduled and Ready (5 s load)', took(since)]);
    const [pod] = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=autoglm' })).items;
    console.log(`\n  pod ${pod?.metadata?.name} on node ${pod?.spec?.nodeName}`);
    printPools('after', await inspect());
  });
  await workerConnection.close();
  await connection.close();

  figures.push(['total', took(t0)]);
  step('summary');
  for (const [what, value] of figures) console.log(`  ${what.padEnd(42)} ${value}`);
  console.log(`\nThe stack stays up for exploring (npm run stack:status; npm run stack:down to stop it).`);
}

function printPools(label: string, pools: PoolCapacity[]): void {
  console.log(`  GPU pools ${label}:`);
  for (const p of pools) console.log(`    ${p.pool.padEnd(5)} allocatable ${p.allocatable}, requested ${p.requested}, free ${p.free} (largest on one node: ${p.largestFreeOnOneNode})`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`\ndemo failed: ${err.message}`);
    process.exit(1);
  },
);
