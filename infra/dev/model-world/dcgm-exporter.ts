/**
 * dcgm-exporter stand-ins: one /metrics endpoint per GPU node of the stack (as the DaemonSet runs
 * one exporter per node), on 127.0.0.1, registered for Prometheus with file_sd. GPU memory and
 * utilisation come from the simulated servers of the pods that hold the node's GPUs; the model
 * servers themselves export no DCGM metrics, as in a real cluster.
 */
import { makeInformer, type CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { dcgmText, GpuAllocator, type GpuHolder, type GpuNode } from './dcgm-metrics';
import type { PodRunner } from './pod-runner';

/** dcgm-exporter reports NVIDIA GPUs only. */
const NVIDIA = 'nvidia.com/gpu';

interface Exporter {
  node: GpuNode;
  server: Server;
  port: number;
  allocator: GpuAllocator;
}

export class DcgmExporters {
  private readonly exporters = new Map<string, Exporter>();
  private informer?: ReturnType<typeof makeInformer<V1Node>>;
  private lastTargets = '';

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly runner: PodRunner,
    private readonly fileSdDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.informer = makeInformer<V1Node>(this.kc, '/api/v1/nodes', () => this.core.listNode());
    this.informer.on('add', (n) => void this.add(n));
    this.informer.on('update', (n) => void this.add(n));
    this.informer.on('delete', (n) => void this.remove(n.metadata!.name!));
    this.informer.on('error', () => setTimeout(() => void this.informer?.start(), 1000));
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
    for (const name of [...this.exporters.keys()]) await this.remove(name);
  }

  private async add(node: V1Node): Promise<void> {
    const name = node.metadata!.name!;
    const count = Number(node.status?.allocatable?.[NVIDIA] ?? 0);
    if (count === 0 || this.exporters.has(name)) return;
    const labels = node.metadata?.labels ?? {};
    const gpuNode: GpuNode = {
      name,
      product: labels['nvidia.com/gpu.product'] ?? 'NVIDIA-GPU',
      memoryMiB: Number(labels['nvidia.com/gpu.memory'] ?? 81920),
      count,
    };
    const exporter: Exporter = { node: gpuNode, server: createServer(), port: 0, allocator: new GpuAllocator() };
    this.exporters.set(name, exporter);
    exporter.server.on('request', (req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(dcgmText(gpuNode, this.holders(exporter)));
    });
    await new Promise<void>((resolve) => exporter.server.listen(0, '127.0.0.1', resolve));
    exporter.port = (exporter.server.address() as AddressInfo).port;
    this.log(`dcgm-exporter for ${name} (${count} GPUs) on 127.0.0.1:${exporter.port}`);
    this.writeTargets();
  }

  private async remove(name: string): Promise<void> {
    const exporter = this.exporters.get(name);
    if (!exporter) return;
    this.exporters.delete(name);
    await new Promise<void>((resolve) => exporter.server.close(() => resolve()));
    this.writeTargets();
  }

  /** The node's GPUs held by running model-server pods, with their servers' memory and load. */
  private holders(e: Exporter): GpuHolder[] {
    const pods = [...this.runner.pods.values()]
      .filter((p) => p.nodeName === e.node.name && (p.gpus[NVIDIA] ?? 0) > 0)
      .sort((a, b) => a.startedAt - b.startedAt);
    const held = e.allocator.assign(
      e.node.count,
      pods.map((p) => ({ key: p.key, gpus: p.gpus[NVIDIA]! })),
    );
    return pods.flatMap((p) =>
      (held.get(p.key) ?? []).map((gpu) => ({
        gpu,
        namespace: p.namespace,
        pod: p.name,
        container: p.container,
        memoryShare: p.server.gpuMemoryShare(),
        utilization: p.server.gpuUtilization(),
      })),
    );
  }

  /** Prometheus file_sd: one target per exporter, written atomically when it changes. */
  private writeTargets(): void {
    mkdirSync(this.fileSdDir, { recursive: true });
    const groups = [...this.exporters.values()].map((e) => ({ targets: [`127.0.0.1:${e.port}`], labels: { node: e.node.name } }));
    const text = JSON.stringify(groups, null, 1);
    if (text === this.lastTargets) return;
    this.lastTargets = text;
    const file = join(this.fileSdDir, 'dcgm-exporters.json');
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
}
