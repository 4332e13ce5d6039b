import { backoffMs, dueProbes, freshProbeState, observe, probesOf, type ContainerProbes } from '../../infra/dev/model-world/probes';

// The kubelet's probe rules, as the stack's kubelet stand-in applies them to model-server pods.
const container = {
  name: 'model-server',
  ports: [{ name: 'http', containerPort: 8000 }],
  startupProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
  readinessProbe: { httpGet: { path: '/v1/models', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
  livenessProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 10, failureThreshold: 6 },
};

describe('kubelet probes', () => {
  const probes: ContainerProbes = probesOf(container as never);

  it('reads the rendered probes, named ports resolved, with the kubelet defaults', () => {
    expect(probes.startup).toEqual({
      path: '/health',
      port: 8000,
      periodMs: 10_000,
      timeoutMs: 1000,
      initialDelayMs: 0,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(probes.liveness?.port).toBe(8000);
  });

  it('restarts a container whose startup probe fails failureThreshold times in a row, probing nothing else meanwhile', () => {
    const s = freshProbeState(0, probes);
    expect(dueProbes(s, probes, 0)).toEqual(['startup']);
    expect(observe(s, probes, 'startup', false, 0)).toBeUndefined();
    expect(dueProbes(s, probes, 5_000)).toEqual([]);
    expect(observe(s, probes, 'startup', false, 10_000)).toBeUndefined();
    expect(observe(s, probes, 'startup', false, 20_000)).toEqual({ kind: 'restart', reason: 'Startup probe failed 3 times' });
  });

  it('is Ready only while readiness passes, and restarts on liveness failures', () => {
    const s = freshProbeState(0, probes);
    expect(observe(s, probes, 'startup', true, 0)).toEqual({ kind: 'started' });
    expect(dueProbes(s, probes, 0)).toEqual(['readiness', 'liveness']);
    expect(observe(s, probes, 'readiness', false, 0)).toBeUndefined(); // still loading: not Ready yet
    expect(observe(s, probes, 'readiness', true, 5_000)).toEqual({ kind: 'ready', ready: true });
    expect(observe(s, probes, 'readiness', false, 10_000)).toBeUndefined();
    expect(observe(s, probes, 'readiness', false, 15_000)).toBeUndefined();
    expect(observe(s, probes, 'readiness', false, 20_000)).toEqual({ kind: 'ready', ready: false });
    for (let i = 0; i < 5; i++) expect(observe(s, probes, 'liveness', false, i * 10_000)).toBeUndefined();
    expect(observe(s, probes, 'liveness', false, 50_000)).toEqual({ kind: 'restart', reason: 'Liveness probe failed 6 times' });
  });

  it('backs restarts off as the kubelet does: 10 s doubling up to 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffMs)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('counts a container without probes as started and Ready at once', () => {
    expect(freshProbeState(0, {})).toMatchObject({ started: true, ready: true });
  });
});
