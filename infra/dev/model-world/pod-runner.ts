/**
 * The pod runner: kwok pods run no process, so for every model-server pod whose containers have
 * started it runs a simulated server from the container's command line and SIM_* env (as the
 * container would run vLLM), registers it for Prometheus (file_sd, labelled by pod, service,
 * revision and version), and stops it when the pod goes. A command line vLLM refuses starts no
 * server: the pod never answers, as the real container would exit.
 */
import { makeInformer, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT, LABELS } from '../../../core/manifests';
import { simulatedServer } from './launch';
import { ServeError } from './serving-config';
import type { SimServer } from './sim-server';

export interface RunningPod {
  key: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  server: SimServer;
  port: number;
}

export const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

export class PodRunner {
  readonly pods = new Map<string, RunningPod>();
  private readonly starting = new Set<string>();
  /** Pods whose command line the server refused, and why. */
  readonly refused = new Map<string, ServeError>();
  private informer?: ReturnType<typeof makeInformer<V1Pod>>;
  private lastTargets = '';
  /** stable or canary, as the service's Services say (the router knows them); '' when unknown. */
  trackOf: (pod: RunningPod) => string = () => '';

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly fileSdDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const selector = `${LABELS.component}=${COMPONENT}`;
    this.informer = makeInformer<V1Pod>(
      this.kc,
      '/api/v1/pods',
      () => this.core.listPodForAllNamespaces({ labelSelector: selector }),
      selector,
    );
    const sync = (pod: V1Pod) => void this.sync(pod).catch((err: Error) => this.log(`pod ${pod.metadata?.name}: ${err.message}`));
    this.informer.on('add', sync);
    this.informer.on('update', sync);
    this.informer.on('delete', (pod) => void this.stopPod(podKey(pod.metadata!.namespace!, pod.metadata!.name!)));
    this.informer.on('error', () => setTimeout(() => void this.informer?.start(), 1000)); // relist after a broken watch
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
    await Promise.all([...this.pods.keys()].map((k) => this.stopPod(k, 0)));
  }

  private async sync(pod: V1Pod): Promise<void> {
    const key = podKey(pod.metadata!.namespace!, pod.metadata!.name!);
    const container = pod.status?.containerStatuses?.[0];
    const startedAt = container?.state?.running?.startedAt;
    if (pod.metadata?.deletionTimestamp || !startedAt) return this.stopPod(key);
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const existing = this.pods.get(key);
    if (existing) {
      existing.ready = ready;
      existing.labels = pod.metadata?.labels ?? {};
      return;
    }
    if (this.starting.has(key) || this.refused.has(key)) return;
    this.starting.add(key);
    try {
      const container = pod.spec?.containers[0];
      const env = Object.fromEntries((container?.env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])));
      let server: SimServer;
      try {
        server = simulatedServer(container?.command ?? [], container?.args ?? [], env, new Date(startedAt).getTime());
      } catch (err) {
        if (!(err instanceof ServeError)) throw err;
        this.refused.set(key, err);
        return this.log(`${key}: the server would exit ${err.exitCode}: ${err.message}`);
      }
      const port = await server.listen(0);
      this.pods.set(key, {
        key,
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
        labels: pod.metadata?.labels ?? {},
        ready,
        server,
        port,
      });
      this.log(`started ${key} on 127.0.0.1:${port}`);
      this.writeTargets();
    } finally {
      this.starting.delete(key);
    }
  }

  /** Like a kubelet's graceful termination: no new requests, in-flight ones may finish (up to the grace period). */
  private async stopPod(key: string, graceMs = 10_000): Promise<void> {
    this.refused.delete(key);
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    this.writeTargets();
    await pod.server.close(graceMs);
    this.log(`stopped ${key}`);
  }

  /** Prometheus file_sd: one target per running server, written atomically when it changes. */
  writeTargets(): void {
    mkdirSync(this.fileSdDir, { recursive: true });
    const groups = [...this.pods.values()].map((p) => ({
      targets: [`127.0.0.1:${p.port}`],
      labels: {
        namespace: p.namespace,
        pod: p.name,
        service: p.labels[LABELS.name] ?? '',
        revision: p.labels[LABELS.revision] ?? '',
        version: p.labels[LABELS.version] ?? '',
        track: this.trackOf(p),
      },
    }));
    const text = JSON.stringify(groups, null, 1);
    if (text === this.lastTargets) return;
    this.lastTargets = text;
    const file = join(this.fileSdDir, 'model-servers.json');
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
}
