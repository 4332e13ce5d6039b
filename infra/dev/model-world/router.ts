/**
 * The local stack's traffic entry point, standing in for a Gateway API implementation: it routes
 * by the HTTPRoutes attached to the stack's Gateway (hostname → weighted Service backends), or,
 * for a host `<service>.<namespace>` with no route, to that Service. Within a Service it picks the
 * ready pod with the fewest requests in flight (least request, Envoy's default) and proxies,
 * streaming. Envoy Gateway policies on a route (JWT, local rate limits, balancing) are honoured
 * as gateway-policies.ts says.
 */
import {
  CustomObjectsApi,
  makeInformer,
  type CoreV1Api,
  type Informer,
  type ObjectCache,
  type KubeConfig,
  type KubernetesObject,
  type V1Service,
} from '@kubernetes/client-node';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayPolicies, type Balancing, type PolicyObject } from './gateway-policies';
import type { PodRunner, RunningPod } from './pod-runner';

interface HttpRoute extends KubernetesObject {
  spec?: {
    parentRefs?: { name: string; namespace?: string }[];
    hostnames?: string[];
    rules?: { backendRefs?: { name: string; namespace?: string; port?: number; weight?: number; kind?: string }[] }[];
  };
}

export interface Backend {
  namespace: string;
  service: string;
  weight: number;
}

export class Router {
  private server?: Server;
  private readonly services = new Map<string, V1Service>();
  private readonly routes = new Map<string, HttpRoute>();
  private readonly securityPolicies = new Map<string, PolicyObject>();
  private readonly trafficPolicies = new Map<string, PolicyObject>();
  private readonly policies = new GatewayPolicies(this.securityPolicies, this.trafficPolicies);
  private readonly inFlight = new Map<string, number>();
  private roundRobin = 0;
  private stoppers: (() => Promise<void>)[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly runner: PodRunner,
    private readonly gateway: { namespace: string; name: string },
    private readonly log: (msg: string) => void = () => {},
  ) {}

  async start(port: number): Promise<number> {
    // Track labels of the scrape targets follow the Services (they change at promotion).
    this.runner.trackOf = (pod) => this.trackOf(pod);
    await this.mirror(
      makeInformer<V1Service>(this.kc, '/api/v1/services', () => this.core.listServiceForAllNamespaces()),
      this.services,
      () => this.runner.writeTargets(),
    );
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const listRoutes = () =>
      custom.listCustomObjectForAllNamespaces({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' }) as never;
    await this.mirror(makeInformer<HttpRoute>(this.kc, '/apis/gateway.networking.k8s.io/v1/httproutes', listRoutes), this.routes);
    for (const [plural, into] of [
      ['securitypolicies', this.securityPolicies],
      ['backendtrafficpolicies', this.trafficPolicies],
    ] as const) {
      const list = () => custom.listCustomObjectForAllNamespaces({ group: 'gateway.envoyproxy.io', version: 'v1alpha1', plural }) as never;
      await this.mirror(
        makeInformer<PolicyObject & KubernetesObject>(this.kc, `/apis/gateway.envoyproxy.io/v1alpha1/${plural}`, list),
        into,
      );
    }

    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Keeps `into` equal to what the informer sees, keyed namespace/name; relists after a broken watch. */
  private async mirror<T extends KubernetesObject>(
    informer: Informer<T> & ObjectCache<T>,
    into: Map<string, T>,
    onChange = () => {},
  ): Promise<void> {
    const key = (o: T) => `${o.metadata!.namespace}/${o.metadata!.name}`;
    informer.on('add', (o) => {
      into.set(key(o), o);
      onChange();
    });
    informer.on('update', (o) => {
      into.set(key(o), o);
      onChange();
    });
    informer.on('delete', (o) => {
      into.delete(key(o));
      onChange();
    });
    informer.on('error', () => setTimeout(() => void informer.start(), 1000));
    await informer.start();
    this.stoppers.push(() => informer.stop());
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await Promise.all(this.stoppers.map((s) => s()));
  }

  /** The weighted backends for a host: its HTTPRoute on our Gateway (named), else the Service it names. */
  backendsFor(hostHeader: string): { route?: { namespace: string; name: string }; backends: Backend[] } {
    const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
    for (const route of this.routes.values()) {
      const ns = route.metadata!.namespace!;
      const attached = route.spec?.parentRefs?.some((p) => p.name === this.gateway.name && (p.namespace ?? ns) === this.gateway.namespace);
      if (!attached || !route.spec?.hostnames?.map((h) => h.toLowerCase()).includes(host)) continue;
      const backends = (route.spec.rules?.[0]?.backendRefs ?? [])
        .filter((b) => (b.kind ?? 'Service') === 'Service')
        .map((b) => ({ namespace: b.namespace ?? ns, service: b.name, weight: b.weight ?? 1 }));
      return { route: { namespace: ns, name: route.metadata!.name! }, backends };
    }
    const [service, namespace] = host.split('.');
    return { backends: service && namespace ? [{ namespace, service, weight: 1 }] : [] };
  }

  /** stable: the revision the service's stable (or, without one, main) Service selects; canary: another revision beside it. */
  trackOf(pod: RunningPod): string {
    const service = pod.labels['app.kubernetes.io/name'];
    const revision = pod.labels['autoglm.dev/revision'];
    if (!service || !revision) return '';
    const selected = (name: string) => this.services.get(`${pod.namespace}/${name}`)?.spec?.selector?.['autoglm.dev/revision'];
    const stable = selected(`${service}-stable`) ?? selected(service);
    if (!stable) return '';
    return stable === revision ? 'stable' : 'canary';
  }

  /** Ready pods that the Service selects and that have a running server. */
  endpointsOf(b: Backend): RunningPod[] {
    const selector = this.services.get(`${b.namespace}/${b.service}`)?.spec?.selector;
    if (!selector) return [];
    return [...this.runner.pods.values()].filter(
      (p) => p.namespace === b.namespace && p.ready && p.server.loaded && Object.entries(selector).every(([k, v]) => p.labels[k] === v),
    );
  }

  private pick(backends: Backend[], balancing: Balancing = 'LeastRequest'): RunningPod | undefined {
    const weighted = backends.filter((b) => b.weight > 0);
    const total = weighted.reduce((n, b) => n + b.weight, 0);
    if (total === 0) return undefined;
    let r = Math.random() * total;
    const chosen = weighted.find((b) => (r -= b.weight) < 0) ?? weighted[weighted.length - 1]!;
    const pods = this.endpointsOf(chosen);
    if (pods.length > 0 && balancing === 'Random') return pods[Math.floor(Math.random() * pods.length)];
    if (pods.length > 0 && balancing === 'RoundRobin') return pods[this.roundRobin++ % pods.length];
    let best: RunningPod | undefined;
    for (const p of pods) if (!best || (this.inFlight.get(p.key) ?? 0) < (this.inFlight.get(best.key) ?? 0)) best = p;
    return best;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/_router/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ pods: this.runner.pods.size, routes: this.routes.size, services: this.services.size }));
    }
    // Bodies are small JSON; buffering them lets a request that never reached a server be retried.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void this.admit(req, res, Buffer.concat(chunks)));
  }

  /** The route's gateway policies: a request they refuse is answered here, as Envoy would. */
  private async admit(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const { route, backends } = this.backendsFor(req.headers.host ?? '');
    let balancing: Balancing = 'LeastRequest';
    if (route) {
      const verdict = await this.policies.admit(route.namespace, route.name, req.headers);
      if (!verdict.ok) {
        res.writeHead(verdict.status, { 'content-type': 'text/plain', ...verdict.headers });
        return void res.end(verdict.body);
      }
      if (verdict.authenticated) delete req.headers.authorization; // the token is not forwarded (Envoy Gateway's default)
      Object.assign(req.headers, verdict.headers);
      balancing = this.policies.balancing(route.namespace, route.name);
    }
    this.forward(req, res, body, 0, backends, balancing);
  }

  /**
   * Proxies to one pod. A connection that fails before any response (refused, or a keep-alive
   * socket the pod closed as it stopped) is retried once on another pick, as Envoy's
   * reset/connect-failure retries do; anything after the response started is passed on.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    attempt: number,
    backends: Backend[],
    balancing: Balancing,
  ): void {
    const pod = this.pick(backends, balancing);
    if (!pod) {
      res.writeHead(503, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({ error: { message: `no healthy upstream for host ${req.headers.host}`, type: 'ServiceUnavailable' } }),
      );
    }
    this.inFlight.set(pod.key, (this.inFlight.get(pod.key) ?? 0) + 1);
    let counted = true;
    const done = () => {
      if (counted) this.inFlight.set(pod.key, Math.max(0, (this.inFlight.get(pod.key) ?? 1) - 1));
      counted = false;
    };
    const upstream = request(
      {
        host: '127.0.0.1',
        port: pod.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${pod.port}`, 'content-length': String(body.length) },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, {
          ...up.headers,
          'x-autoglm-pod': pod.name,
          'x-autoglm-revision': pod.labels['autoglm.dev/revision'] ?? '',
        });
        up.pipe(res);
        up.on('end', done);
        up.on('error', done);
      },
    );
    upstream.on('error', (err) => {
      done();
      this.log(`upstream ${pod.key}: ${err.message}${res.headersSent || attempt > 0 ? '' : ' (retrying)'}`);
      if (!res.headersSent && attempt === 0) return this.forward(req, res, body, 1, backends, balancing);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `upstream ${pod.name} failed: ${err.message}`, type: 'BadGateway' } }));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    }); // the client went away
    upstream.end(body);
  }
}
