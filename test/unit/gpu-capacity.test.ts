import { parseGpuQuantity, podGpuRequest, podsThatFit, summarizePool, type NodeView, type PodView } from '../../core/gpu-capacity';
import { toNodeView, toPodView } from '../../activities/kubernetes/capacity';

const node = (name: string, pool: string, gpus: number, extra: Partial<NodeView> = {}): NodeView => ({
  name,
  labels: { pool },
  allocatableGpus: gpus,
  ready: true,
  unschedulable: false,
  ...extra,
});
const pod = (nodeName: string | undefined, gpus: number[], extra: Partial<PodView> = {}): PodView => ({
  name: 'p',
  namespace: 'ns',
  nodeName,
  phase: 'Running',
  containers: gpus.map((g) => ({ gpus: g })),
  initContainers: [],
  ...extra,
});

describe('parseGpuQuantity', () => {
  it.each`
    value        | expected
    ${undefined} | ${0}
    ${''}        | ${0}
    ${'0'}       | ${0}
    ${'8'}       | ${8}
  `('"$value" → $expected', ({ value, expected }) => expect(parseGpuQuantity(value)).toBe(expected));

  it.each(['1.5', '500m', '-1', 'eight'])('refuses "%s": extended resources are whole numbers', (value) => {
    expect(() => parseGpuQuantity(value)).toThrow(/whole number/);
  });
});

describe('podGpuRequest', () => {
  it.each`
    name                                 | containers | init   | sidecars | expected
    ${'sum of app containers'}           | ${[4, 2]}  | ${[]}  | ${[]}    | ${6}
    ${'init container larger than apps'} | ${[1]}     | ${[4]} | ${[]}    | ${4}
    ${'init smaller than apps'}          | ${[4]}     | ${[2]} | ${[]}    | ${4}
    ${'sidecar counts with the apps'}    | ${[2]}     | ${[]}  | ${[1]}   | ${3}
    ${'sidecar counts with an init too'} | ${[1]}     | ${[4]} | ${[1]}   | ${5}
    ${'no GPUs'}                         | ${[0]}     | ${[]}  | ${[]}    | ${0}
  `('$name → $expected', ({ containers, init, sidecars, expected }) => {
    const g = (xs: number[]) => xs.map((gpus) => ({ gpus }));
    expect(podGpuRequest({ containers: g(containers), initContainers: g(init), sidecars: g(sidecars) })).toBe(expected);
  });
});

describe('summarizePool', () => {
  const nodes = [node('a-0', 'a100', 8), node('a-1', 'a100', 8), node('l-0', 'l4', 4)];

  it("counts only the pool's nodes and the pods bound to them", () => {
    const cap = summarizePool('a100', 'pool', nodes, [pod('a-0', [8]), pod('a-1', [2]), pod('l-0', [4]), pod(undefined, [8])]);
    expect(cap).toMatchObject({ pool: 'a100', allocatable: 16, requested: 10, free: 6, largestFreeOnOneNode: 6 });
    expect(cap.nodes.map((n) => [n.name, n.free])).toEqual([
      ['a-0', 0],
      ['a-1', 6],
    ]);
  });

  it('ignores finished pods: they hold no GPUs', () => {
    const cap = summarizePool('a100', 'pool', nodes, [pod('a-0', [8], { phase: 'Succeeded' }), pod('a-1', [8], { phase: 'Failed' })]);
    expect(cap.free).toBe(16);
  });

  it('gives no free GPUs on cordoned or NotReady nodes', () => {
    const cap = summarizePool(
      'a100',
      'pool',
      [node('a-0', 'a100', 8, { unschedulable: true }), node('a-1', 'a100', 8, { ready: false })],
      [],
    );
    expect(cap).toMatchObject({ allocatable: 16, requested: 0, free: 0, largestFreeOnOneNode: 0 });
    expect(cap.nodes.every((n) => !n.schedulable)).toBe(true);
  });

  it('never reports negative free GPUs when a node is over-committed', () => {
    const cap = summarizePool('a100', 'pool', [node('a-0', 'a100', 4)], [pod('a-0', [8])]);
    expect(cap.nodes[0]!.free).toBe(0);
  });

  it('is empty for a pool with no nodes', () => {
    expect(summarizePool('h100', 'pool', nodes, [])).toMatchObject({ allocatable: 0, free: 0, largestFreeOnOneNode: 0, nodes: [] });
  });

  it('honours another pool label key', () => {
    const gke = [node('g-0', 'x', 8, { labels: { 'cloud.google.com/gke-nodepool': 'gpu' } })];
    expect(summarizePool('gpu', 'cloud.google.com/gke-nodepool', gke, []).allocatable).toBe(8);
  });
});

describe('podsThatFit', () => {
  it.each`
    frees     | perPod | fit
    ${[8, 8]} | ${8}   | ${2}
    ${[6, 6]} | ${8}   | ${0}
    ${[6, 6]} | ${4}   | ${2}
    ${[8, 3]} | ${2}   | ${5}
    ${[]}     | ${1}   | ${0}
  `('free $frees, $perPod GPUs per pod → $fit pods (no pod spans nodes)', ({ frees, perPod, fit }) => {
    const cap = summarizePool(
      'p',
      'pool',
      (frees as number[]).map((f, i) => node(`n${i}`, 'p', f)),
      [],
    );
    expect(podsThatFit(cap, perPod)).toBe(fit);
  });

  it('refuses a non-positive pod size', () => {
    expect(() => podsThatFit(summarizePool('p', 'pool', [], []), 0)).toThrow();
  });
});

describe("the GPU resource counted is the spec's", () => {
  const amdNode = {
    metadata: { name: 'mi', labels: { pool: 'mi300' } },
    status: { allocatable: { 'amd.com/gpu': '8', 'nvidia.com/gpu': '0' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
  const amdPod = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'mi', containers: [{ name: 'c', resources: { limits: { 'amd.com/gpu': '2' } } }] },
    status: { phase: 'Running' },
  };
  it.each`
    resource            | allocatable | requested | free
    ${'amd.com/gpu'}    | ${8}        | ${2}      | ${6}
    ${'nvidia.com/gpu'} | ${0}        | ${0}      | ${0}
  `('$resource: $free free', ({ resource, allocatable, requested, free }) => {
    const cap = summarizePool('mi300', 'pool', [toNodeView(amdNode as never, resource)], [toPodView(amdPod as never, resource)], resource);
    expect(cap).toMatchObject({ resource, allocatable, requested, free });
  });
});
