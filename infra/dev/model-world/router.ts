/**
 * The local stack's traffic entry point, standing in for a Gateway API implementation: it routes
 * by the HTTPRoutes attached to the stack's Gateway (hostname → weighted Service backends), or,
 * for a host `<service>.<namespace>` with no route, to that Service. A Service's endpoints come
 * from its EndpointSlices, as kube-proxy's and a gateway's do; among the ready ones it picks the
 * one with the fewest requests in flight (least request, Envoy's default) and proxies, streaming. Envoy Gateway policies on a route (JWT, local rate limits, balancing) are honoured
 * as gateway-policies.ts says.
 */
import {
  CustomObjectsApi,
  DiscoveryV1Api,
  makeInformer,
  type CoreV1Api,
  type Informer,
  type ObjectCache,
  type KubeConfig,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readyEndpoints, type Endpoint } from './endpoints';
import { GatewayPolicies, type Balancing, type PolicyObject } from './gateway-policies';
import { loopbackOf } from '../stack/pod-network';

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
  private readonly slices = new Map<string, V1EndpointSlice>();
  /** Pods' labels, only to say in a response header which revision answered. */
  private readonly pods = new Map<string, V1Pod>();
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
    private readonly gateway: { namespace: string; name: string },
    private readonly log: (msg: string) => void = () => {},
  ) {}

  async start(port: number): Promise<number> {
    await this.mirror(
      makeInformer<V1Service>(this.kc, '/api/v1/services', () => this.core.listServiceForAllNamespaces()),
      this.services,
    );
    await this.mirror(
      makeInformer<V1Pod>(this.kc, '/api/v1/pods', () => this.core.listPodForAllNamespaces()),
      this.pods,
    );
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    await this.mirror(
      makeInformer<V1EndpointSlice>(this.kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
        discovery.listEndpointSliceForAllNamespaces(),
      ),
      this.slices,
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

  /** The ready endpoints of a backend's Service, at their pod IPs' loopback addresses (nothing else is ever used). */
  endpointsOf(b: Backend): Endpoint[] {
    if (!this.services.has(`${b.namespace}/${b.service}`)) return [];
    return readyEndpoints(this.slices.values(), b.namespace, b.service).flatMap((e) => {
      const address = loopbackOf(e.address);
      return address ? [{ ...e, address, key: `${address}:${e.port}` }] : [];
    });
  }

  /** A backend by weight, then an endpoint of it; `avoid`: one that just failed (Envoy's previous-hosts retry predicate). */
  private pick(backends: Backend[], balancing: Balancing = 'LeastRequest', avoid?: string): Endpoint | undefined {
    const weighted = backends.filter((b) => b.weight > 0);
    const total = weighted.reduce((n, b) => n + b.weight, 0);
    if (total === 0) return undefined;
    let r = Math.random() * total;
    const chosen = weighted.find((b) => (r -= b.weight) < 0) ?? weighted[weighted.length - 1]!;
    const all = this.endpointsOf(chosen);
    const others = all.filter((e) => e.key !== avoid);
    const pods = others.length > 0 ? others : all;
    if (pods.length > 0 && balancing === 'Random') return pods[Math.floor(Math.random() * pods.length)];
    if (pods.length > 0 && balancing === 'RoundRobin') return pods[this.roundRobin++ % pods.length];
    let best: Endpoint | undefined;
    for (const p of pods) if (!best || (this.inFlight.get(p.key) ?? 0) < (this.inFlight.get(best.key) ?? 0)) best = p;
    return best;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/_router/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ slices: this.slices.size, routes: this.routes.size, services: this.services.size }));
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
    avoid?: string,
  ): void {
    const pod = this.pick(backends, balancing, avoid);
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
    const labels = this.pods.get(`${pod.namespace}/${pod.pod}`)?.metadata?.labels ?? {};
    const upstream = request(
      {
        host: pod.address,
        port: pod.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: pod.key, 'content-length': String(body.length) },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, {
          ...up.headers,
          'x-autoglm-pod': pod.pod,
          'x-autoglm-upstream': pod.key,
          'x-autoglm-revision': labels['autoglm.dev/revision'] ?? '',
        });
        up.pipe(res);
        up.on('end', done);
        up.on('error', done);
      },
    );
    upstream.on('error', (err) => {
      done();
      this.log(`upstream ${pod.key}: ${err.message}${res.headersSent || attempt > 0 ? '' : ' (retrying)'}`);
      if (!res.headersSent && attempt === 0) return this.forward(req, res, body, 1, backends, balancing, pod.key);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `upstream ${pod.pod} failed: ${err.message}`, type: 'BadGateway' } }));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    }); // the client went away
    upstream.end(body);
  }
}
