/**
 * The pod runner: kwok pods run no process, so for every model-server pod whose containers have
 * started it runs a simulated server from the container's command line and SIM_* env (as the
 * container would run vLLM), listening on the pod's own IP and port, and stops it when the pod
 * goes. It only runs servers: Prometheus finds them by Kubernetes discovery, the router by the
 * Service's EndpointSlices. A command line vLLM refuses starts no server: the pod never answers,
 * as the real container would exit.
 */
import { makeInformer, type CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { COMPONENT, LABELS } from '../../../core/manifests';
import { loopbackOf } from '../stack/pod-network';
import { ContainerConfigError, containerEnv } from './container-env';
import { simulatedServer } from './launch';
import { ServeError } from './serving-config';
import type { SimServer } from './sim-server';

export interface RunningPod {
  key: string;
  namespace: string;
  name: string;
  container: string;
  nodeName: string;
  /** GPUs the container requests, by resource name (nvidia.com/gpu: 8). */
  gpus: Record<string, number>;
  startedAt: number;
  server: SimServer;
  address: string;
  port: number;
}

/** What the kubelet stand-in needs of every model-server pod, running or not. */
export interface WatchedPod {
  key: string;
  namespace: string;
  name: string;
  container: V1Container;
  restartCount: number;
  /** When its container's current run started (epoch ms); undefined while it is not running. */
  runningSince?: number;
  deleting: boolean;
}

export const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

function gpusOf(pod: V1Pod): Record<string, number> {
  const requests = pod.spec?.containers[0]?.resources?.requests ?? {};
  return Object.fromEntries(Object.entries(requests).flatMap(([k, v]) => (k.endsWith('/gpu') ? [[k, Number(v)]] : [])));
}

export class PodRunner {
  readonly pods = new Map<string, RunningPod>();
  readonly watched = new Map<string, WatchedPod>();
  private readonly terminating = new Set<string>();
  private readonly starting = new Set<string>();
  /** Pods whose command line the server refused, and why. */
  readonly refused = new Map<string, ServeError>();
  private informer?: ReturnType<typeof makeInformer<V1Pod>>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
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
    this.informer.on('delete', (pod) => {
      const key = podKey(pod.metadata!.namespace!, pod.metadata!.name!);
      const container = this.watched.get(key)?.container;
      this.watched.delete(key);
      void this.terminate(key, container);
    });
    this.informer.on('error', () => setTimeout(() => void this.informer?.start(), 1000)); // relist after a broken watch
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
    await Promise.all([...this.pods.keys()].map((k) => this.stopPod(k, 0)));
  }

  private async sync(pod: V1Pod): Promise<void> {
    const key = podKey(pod.metadata!.namespace!, pod.metadata!.name!);
    const container = pod.spec?.containers[0];
    const status = pod.status?.containerStatuses?.[0];
    const startedAt = status?.state?.running?.startedAt;
    // The pod IP as the stack's pod network routes it: a loopback address, or nothing.
    const ip = loopbackOf(pod.status?.podIP);
    if (!container) return;
    this.watched.set(key, {
      key,
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      container,
      restartCount: status?.restartCount ?? 0,
      runningSince: startedAt ? new Date(startedAt).getTime() : undefined,
      deleting: pod.metadata?.deletionTimestamp !== undefined,
    });
    if (pod.metadata?.deletionTimestamp) return this.terminate(key, container, pod.metadata.uid);
    if (!startedAt) return this.stopPod(key);
    // A new run of the container (restarted by the kubelet stand-in): a fresh server, loading again.
    const current = this.pods.get(key);
    if (current && current.startedAt !== new Date(startedAt).getTime()) await this.stopPod(key, 0);
    if (this.pods.has(key) || this.starting.has(key) || this.refused.has(key)) return;
    if (!ip) return this.log(`${key}: pod IP ${pod.status?.podIP ?? '(none)'} is not on the stack's pod network; not serving it`);
    this.starting.add(key);
    try {
      let env: Record<string, string>;
      try {
        env = await containerEnv(this.core, pod.metadata!.namespace!, container);
      } catch (err) {
        if (!(err instanceof ContainerConfigError)) throw err;
        return this.log(`${key}: not started (CreateContainerConfigError): ${err.message}`);
      }
      let server: SimServer;
      try {
        server = simulatedServer(container.command ?? [], container.args ?? [], env, new Date(startedAt).getTime());
      } catch (err) {
        if (!(err instanceof ServeError)) throw err;
        this.refused.set(key, err);
        return this.log(`${key}: the server would exit ${err.exitCode}: ${err.message}`);
      }
      // The container runs from now on (its GPUs held, its memory in use) though it serves HTTP
      // only once loaded: registered at once, so the kubelet stand-in probes it during the load.
      const running: RunningPod = {
        key,
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
        container: container.name,
        nodeName: pod.spec?.nodeName ?? '',
        gpus: gpusOf(pod),
        startedAt: new Date(startedAt).getTime(),
        server,
        address: ip,
        port: server.serving.port,
      };
      this.pods.set(key, running);
      this.log(`started ${key}: serving on ${ip}:${running.port} once loaded`);
      // As the container would: vLLM binds its pod's address (here: the pod's IP) on --port.
      void this.bind(running);
    } finally {
      this.starting.delete(key);
    }
  }

  /**
   * Listens for a running pod's server. kwok may give a new pod the IP of one still in its
   * preStop sleep: the bind is retried while this pod runs (never for a pod that has gone).
   */
  private async bind(running: RunningPod): Promise<void> {
    while (this.pods.get(running.key) === running) {
      try {
        const port = await running.server.listen(running.port, running.address);
        if (port !== undefined) this.log(`${running.key}: loaded, listening on ${running.address}:${port}`);
        return;
      } catch (err) {
        if (err instanceof ServeError) {
          // The model did not load: the process exits, the pod never serves (the kubelet stand-in restarts it).
          this.log(`${running.key}: the server would exit ${err.exitCode}: ${err.message}`);
          await this.stopPod(running.key, 0);
          this.refused.set(running.key, err);
          return;
        }
        this.log(`${running.key}: cannot listen on ${running.address}: ${(err as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * A kubelet's termination of a deleted pod: the preStop hook first (its `sleep`, while the
   * server still serves and the endpoint is being removed everywhere), then SIGTERM, after which
   * vLLM drains in-flight requests for its --shutdown-timeout.
   */
  private async terminate(key: string, container: V1Container | undefined, uid?: string): Promise<void> {
    if (this.terminating.has(key)) return;
    this.terminating.add(key);
    try {
      const pod = this.pods.get(key);
      if (pod) {
        const preStopSeconds = Number(container?.lifecycle?.preStop?.sleep?.seconds ?? 0);
        if (preStopSeconds > 0) await new Promise((r) => setTimeout(r, preStopSeconds * 1000));
        if (this.pods.get(key) === pod) await this.stopPod(key, pod.server.serving.shutdownTimeoutSeconds);
      }
      if (uid) await this.remove(key, uid);
    } finally {
      this.terminating.delete(key);
    }
  }

  /**
   * What the kubelet does once a deleted pod's containers have stopped: deletes it for good
   * (grace 0, this very pod by UID). Only then are its IP and its EndpointSlice entry released.
   */
  private async remove(key: string, uid: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      // In the body: with a body, the API server ignores query parameters such as gracePeriodSeconds.
      await this.core.deleteNamespacedPod({ namespace, name, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
      this.log(`removed ${key}`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409) throw err; // gone already, or a new pod of the same name
    }
  }

  private async stopPod(key: string, graceSeconds = 10): Promise<void> {
    this.refused.delete(key);
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    await pod.server.close(graceSeconds * 1000);
    this.log(`stopped ${key}`);
  }
}
