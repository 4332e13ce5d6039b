import { renderService, type KubeObject } from '../../core/manifests';
import { renderServiceObjects } from '../../core/service-objects';
import { ServiceSpec, type ServiceSpecInput } from '../../core/service-spec';
import { createdByRelease, trafficObjects } from '../../core/snapshot';
import { TRAFFIC_KINDS, TRAFFIC_OBJECT_TYPES, currentSplit, isolatedCopy, trafficOf } from '../../core/traffic';

const IMAGE = `registry.example/llm@sha256:${'a'.repeat(64)}`;
const spec = (traffic?: ServiceSpecInput['rollout']['traffic'], over: Partial<ServiceSpecInput> = {}) =>
  ServiceSpec.parse({
    service: 'llm',
    namespace: 'models',
    version: 'v2',
    image: IMAGE,
    model: { name: 'm' },
    gpu: { pool: 'a100', perReplica: 1 },
    replicas: 2,
    rollout: { steps: [{ weight: 50 }], ...(traffic ? { traffic } : {}) },
    ...over,
  });
const GATEWAY: ServiceSpecInput['rollout']['traffic'] = {
  kind: 'gateway-api',
  gateway: { name: 'edge', namespace: 'gw' },
  hostnames: ['llm.example'],
};
const target = (canaryWeight: number) => ({ stableRevision: 'old', canaryRevision: 'new', canaryWeight });

/** What a kind renders for a split, read back by the kinds (the objects as the cluster would return them). */
function roundTrip(s: ServiceSpec, canaryWeight: number, before: KubeObject[] = []) {
  const { kind, traffic } = trafficOf(s);
  const rendered = kind.render(s, traffic, target(canaryWeight));
  const byName = new Map([...before, ...rendered].map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  return { rendered, split: currentSplit([...byName.values()], 'llm') };
}

describe('traffic kinds', () => {
  it.each`
    name                   | traffic      | weight | split
    ${'replica-ratio 0'}   | ${undefined} | ${0}   | ${{ stableRevision: 'old', canaryRevision: 'new', canaryWeight: 0 }}
    ${'replica-ratio 40'}  | ${undefined} | ${40}  | ${{ stableRevision: 'old', canaryRevision: 'new' }}
    ${'replica-ratio 100'} | ${undefined} | ${100} | ${{ stableRevision: 'old', canaryRevision: 'new', canaryWeight: 100 }}
    ${'gateway-api 0'}     | ${GATEWAY}   | ${0}   | ${{ stableRevision: 'old', canaryRevision: 'new', canaryWeight: 0 }}
    ${'gateway-api 25'}    | ${GATEWAY}   | ${25}  | ${{ stableRevision: 'old', canaryRevision: 'new', canaryWeight: 25 }}
    ${'gateway-api 100'}   | ${GATEWAY}   | ${100} | ${{ stableRevision: 'old', canaryRevision: 'new', canaryWeight: 100 }}
  `('$name: the split rendered is the split read back', ({ traffic, weight, split }) => {
    // replica-ratio leaves the main Service to select every revision between 0 and 100: the split follows the pods.
    const main = renderService(spec(), 'main', 'old');
    expect(roundTrip(spec(traffic), weight, [main]).split).toEqual(split);
  });

  it("gateway-api weights are exact and clamped; replica-ratio weights are the pods' share", () => {
    expect(TRAFFIC_KINDS['gateway-api'].exactWeights).toBe(true);
    expect(TRAFFIC_KINDS['replica-ratio'].exactWeights).toBe(false);
    const route = roundTrip(spec(GATEWAY), 140).rendered.find((o) => o.kind === 'HTTPRoute')!;
    expect(
      (route.spec as { rules: { backendRefs: { name: string; weight: number }[] }[] }).rules[0]!.backendRefs.map((b) => [b.name, b.weight]),
    ).toEqual([
      ['llm-stable', 0],
      ['llm-canary', 100],
    ]);
  });

  it('after promotion every object points at the new revision alone', () => {
    for (const traffic of [undefined, GATEWAY]) {
      const s = spec(traffic);
      const { kind, traffic: t } = trafficOf(s);
      const objects = kind.settled(s, t, 'new');
      expect(currentSplit(objects, 'llm')).toMatchObject({ stableRevision: 'new', canaryWeight: 0 });
    }
  });

  it('no traffic objects: no split', () => {
    expect(currentSplit([], 'llm')).toBeUndefined();
  });

  it("owned objects: every kind's, once each, so a rollback after a kind change deletes what the release made", () => {
    expect(TRAFFIC_OBJECT_TYPES.map((t) => t.kind)).toEqual(['Service', 'HTTPRoute']);
    const created = createdByRelease([renderService(spec(), 'main', 'old')], 'models', 'llm', 'new');
    expect(created.traffic.map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/llm-stable', 'Service/llm-canary', 'HTTPRoute/llm']);
    const snapshot = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'llm-old', namespace: 'models' } },
      ...roundTrip(spec(GATEWAY), 0).rendered,
    ];
    expect(trafficObjects(snapshot).map((o) => o.kind)).toEqual(['Service', 'Service', 'HTTPRoute']);
  });

  it('a restored copy takes no production traffic: routes are detached from their gateways, Services kept', () => {
    const [stable, , route] = roundTrip(spec(GATEWAY), 10).rendered;
    expect((isolatedCopy(route!).spec as { parentRefs: unknown[] }).parentRefs).toEqual([]);
    expect((route!.spec as { parentRefs: unknown[] }).parentRefs).toHaveLength(1); // the original is untouched
    expect(isolatedCopy(stable!)).toBe(stable);
  });

  it('the NetworkPolicy lets in the namespaces the traffic kind sends from', () => {
    const sources = (s: ServiceSpec) => {
      const np = renderServiceObjects(s).find((o) => o.kind === 'NetworkPolicy')!;
      return (np.spec as { ingress: { from: { namespaceSelector: { matchLabels: Record<string, string> } }[] }[] }).ingress[0]!.from.map(
        (f) => Object.values(f.namespaceSelector.matchLabels)[0],
      );
    };
    expect(sources(spec(GATEWAY, { networkPolicy: { allowNamespaces: ['ops'] } }))).toEqual(['gw', 'ops', 'true']);
    expect(sources(spec(undefined, { networkPolicy: { allowNamespaces: ['ops'] } }))).toEqual(['ops', 'true']);
  });

  it("a route's credentials are a Secret key reference: kept as given, refused in any other shape", () => {
    const credentials = { bearerToken: { secretKeyRef: { name: 'route-token', key: 'token' } } };
    const withCredentials = spec({ ...GATEWAY, credentials } as ServiceSpecInput['rollout']['traffic']);
    const { kind, traffic } = trafficOf(withCredentials);
    expect(kind.credentials(traffic)).toEqual(credentials);
    expect(trafficOf(spec(GATEWAY)).kind.credentials(trafficOf(spec(GATEWAY)).traffic)).toBeUndefined();
    expect(trafficOf(spec()).kind.credentials(trafficOf(spec()).traffic)).toBeUndefined();
    const refused = (c: unknown) => () => spec({ ...GATEWAY, credentials: c } as ServiceSpecInput['rollout']['traffic']);
    expect(refused({ bearerToken: 'eyJhbGciOi…' })).toThrow(/credentials/); // a token in the spec itself
    expect(refused({ bearerToken: { secretKeyRef: { name: 'route-token' } } })).toThrow(/key/);
    expect(refused({ bearerToken: { secretKeyRef: { name: 'Route_Token', key: 'token' } } })).toThrow(/name/);
  });
});
