import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { readServiceState } from '../../activities/kubernetes/service-state';
import { toWire } from '../../activities/kubernetes/wire';
import { ReleaseInProgressError, startRelease } from '../../client/releases';
import { ErrorType } from '../../core/errors';
import { LABELS } from '../../core/manifests';
import type { ServiceSpecInput } from '../../core/service-spec';
import { abortUpdate, pauseSignal, promoteUpdate, resumeSignal, statusQuery } from '../../workflows/messages';
import type { ReleaseStatus } from '../../core/release/types';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';

// Releases on the real stack: kube-apiserver + scheduler + kwok GPU nodes, Temporal dev server,
// the project's worker. Pools: a100 = 2 nodes × 8 GPUs, l4 = 2 nodes × 4 GPUs.
const digestOf = (version: string) => `sha256:${createHash('sha256').update(version).digest('hex')}`;

describe('releasePipeline on the local stack', () => {
  const h = useReleaseHarness('rel', 'test');

  const spec = (
    version: string,
    over: Partial<ServiceSpecInput> & {
      pool?: string;
      gpus?: number;
      steps?: ServiceSpecInput['rollout']['steps'];
      allowSwap?: boolean;
    } = {},
  ): ServiceSpecInput => {
    const { pool = 'l4', gpus = 2, steps = [{ weight: 50, bake: '1s' }], allowSwap = true, ...rest } = over;
    return {
      service: 'llm',
      namespace: h.ns,
      version,
      image: `registry.local/autoglm/model-server@${digestOf(version)}`,
      model: { name: 'open-autoglm-7b', loadBudget: '2m' },
      gpu: { pool, perReplica: gpus },
      replicas: 2,
      server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
      container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
      rollout: { steps, allowSwap },
      analysis: { enabled: false }, // the mechanics here; analysis has its own tests
      ...rest,
    };
  };
  const release = async (s: ServiceSpecInput) => (await startRelease(h.worker.client, s, { taskQueue: h.worker.taskQueue })).result();
  const state = () => readServiceState(h.kube, h.ns, 'llm');
  const start = (s: ServiceSpecInput) => startRelease(h.worker.client, s, { taskQueue: h.worker.taskQueue });
  const waitPhase = (handle: Awaited<ReturnType<typeof start>>, phase: ReleaseStatus['phase']) =>
    eventually(
      `phase ${phase}`,
      async () => {
        const st = await handle.query(statusQuery);
        return st.phase === phase ? st : undefined;
      },
      90_000,
    );
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return (err as WorkflowFailedError).cause as ApplicationFailure;
  };

  it('first release, then a surge canary promoted: the new revision alone serves', async () => {
    const first = await release(spec('v1'));
    expect(first).toMatchObject({ outcome: 'promoted', mode: 'initial' });

    const second = await release(spec('v2'));
    expect(second).toMatchObject({ outcome: 'promoted', mode: 'surge', previousRevision: first.revision });
    expect(second.status.weights).toEqual({ stable: 0, canary: 100 });
    const after = await state();
    expect(after.revisions).toEqual([expect.objectContaining({ revision: second.revision, version: 'v2', replicas: 2, readyReplicas: 2 })]);
    const main = await h.kube.core.readNamespacedService({ namespace: h.ns, name: 'llm' });
    expect(main.spec?.selector?.[LABELS.revision]).toBe(second.revision);
  });

  it('applies the PodDisruptionBudget and NetworkPolicy when a release is promoted, never before, and an aborted one leaves them', async () => {
    const pdb = () =>
      h.kube.objects.read({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'llm', namespace: h.ns } }).then(
        (o) => o as unknown as { spec: { maxUnavailable: number } },
        () => undefined,
      );
    await release(spec('v1'));
    const objects = { disruptionBudget: { maxUnavailable: 1 }, networkPolicy: { allowNamespaces: ['monitoring'] } };
    const v2 = await start(spec('v2', { ...objects, steps: [{ weight: 50, gate: 'manual' }] }));
    await waitPhase(v2, 'awaiting-promotion');
    expect(await pdb()).toBeUndefined(); // not while the canary is judged
    await v2.executeUpdate(promoteUpdate, { args: [{ approver: 'ci' }] });
    expect((await v2.result()).outcome).toBe('promoted');
    expect((await pdb())?.spec.maxUnavailable).toBe(1);
    const np = toWire(
      await h.kube.objects.read({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'llm-ingress', namespace: h.ns },
      }),
    ) as unknown as { metadata: { managedFields: { manager: string; operation: string }[] }; spec: { ingress: { from: unknown[] }[] } };
    expect(np.spec.ingress[0]!.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { 'autoglm.dev/dr-access': 'true' } } },
    ]);
    expect(np.metadata.managedFields.map((f) => [f.manager, f.operation])).toEqual([['autoglm-deploy', 'Apply']]);

    const v3 = await start(spec('v3', { ...objects, disruptionBudget: { maxUnavailable: 2 }, steps: [{ weight: 50, gate: 'manual' }] }));
    await waitPhase(v3, 'awaiting-promotion');
    await v3.executeUpdate(abortUpdate, { args: [{ reason: 'not today' }] });
    expect((await v3.result()).outcome).toBe('rolled-back');
    expect((await pdb())?.spec.maxUnavailable).toBe(1);
  });

  it("plans and schedules on the spec's GPU resource: a release and a surge canary on the amd.com/gpu pool", async () => {
    const amd = (version: string) =>
      spec(version, {
        pool: 'mi300',
        gpus: 2,
        gpu: {
          pool: 'mi300',
          perReplica: 2,
          resource: 'amd.com/gpu',
          tolerations: [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        },
      });
    const first = await release(amd('v1'));
    expect(first).toMatchObject({ outcome: 'promoted', mode: 'initial' });
    // 8 amd.com/gpu, 4 held by v1: the canary fits beside the stable, counted on amd.com/gpu.
    const second = await release(amd('v2'));
    expect(second).toMatchObject({ outcome: 'promoted', mode: 'surge', previousRevision: first.revision });
    const pods = (await h.kube.core.listNamespacedPod({ namespace: h.ns })).items.filter(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    );
    expect(pods.map((p) => p.spec?.nodeName)).toEqual(['gpu-mi300-0', 'gpu-mi300-0']);
    expect(pods[0]!.spec!.containers[0]!.resources!.limits!['amd.com/gpu']).toBe('2');
    expect((await readServiceState(h.kube, h.ns, 'llm', 'amd.com/gpu')).revisions[0]!.gpusPerReplica).toBe(2);
  });

  it('fails a release whose pods load longer than the model-load budget, naming the pod, and rolls it back', async () => {
    // The pipeline holds each pod to model.loadBudget itself, and the kubelet (the stack's stand-in)
    // restarts the container when the rendered startup probe has failed for as long.
    const slow = spec('v1', { model: { name: 'open-autoglm-7b', loadBudget: '5s' }, container: { env: { SIM_MODEL_LOAD_DELAY: '60s' } } });
    const restarts: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const p of (await h.kube.core.listNamespacedPod({ namespace: h.ns })).items) {
          const message = p.status?.containerStatuses?.[0]?.lastState?.terminated?.message;
          if (message && !restarts.includes(message)) restarts.push(message);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const failed = failureOf(release(slow)); // says what ended the release when it is not a failure
    const cause = await failed.finally(() => (watching = false));
    await watch;
    expect([ErrorType.ModelLoadTimeout, ErrorType.CrashLoop]).toContain(cause.type);
    expect(cause.message).toMatch(
      cause.type === ErrorType.ModelLoadTimeout
        ? /pod llm-[a-z0-9]+-[a-z0-9]+-[a-z0-9]+ is not Ready \d+s after its containers started, past the model-load budget of 5s/
        : /pod llm-[a-z0-9]+-[a-z0-9]+-[a-z0-9]+ is crash-looping: CrashLoopBackOff \(1 restarts\)/,
    );
    if (cause.type === ErrorType.CrashLoop) expect(restarts).toEqual(['Startup probe failed 2 times']);
    expect(cause.details?.[0]).toMatchObject({ outcome: 'rolled-back', failedIn: 'deploying' });
    expect((await state()).revisions).toEqual([]); // nothing of it left
  });

  it('swaps on a full pool: the stable shrinks before each canary pod', async () => {
    await release(spec('v1', { pool: 'a100', gpus: 8 })); // 16 of 16 GPUs
    const result = await release(spec('v2', { pool: 'a100', gpus: 8 }));
    expect(result).toMatchObject({ outcome: 'promoted', mode: 'swap' });
    expect(result.status.plan).toMatch(/^swap: 50% \(1 canary \/ 1 stable\)/);
    expect((await state()).revisions).toEqual([expect.objectContaining({ version: 'v2', replicas: 2, readyReplicas: 2 })]);
  });

  it('refuses before touching anything when the pool is full and swap is not allowed, naming the missing GPUs', async () => {
    await release(spec('v1', { pool: 'a100', gpus: 8 }));
    const before = await state();
    const cause = await failureOf(release(spec('v2', { pool: 'a100', gpus: 8, allowSwap: false })));
    expect(cause.type).toBe(ErrorType.GpuCapacityExhausted);
    expect(cause.message).toMatch(/Missing 8 GPUs on pool a100/);
    expect(cause.message).toMatch(/gpu-a100-0: 0, gpu-a100-1: 0/);
    expect((await state()).snapshot).toEqual(before.snapshot);
  });

  it('abort mid-canary restores the stable exactly', async () => {
    await release(spec('v1', { pool: 'a100', gpus: 8 }));
    const before = await state();
    const handle = await start(spec('v2', { pool: 'a100', gpus: 8, steps: [{ weight: 50, gate: 'manual' }] }));
    const atGate = await waitPhase(handle, 'awaiting-promotion');
    expect(atGate.replicas.canary).toMatchObject({ desired: 1, ready: 1 });
    expect(atGate.replicas.stable).toMatchObject({ desired: 1, ready: 1 });

    await handle.executeUpdate(abortUpdate, { args: [{ reason: 'latency regression seen by on-call', by: 'alice' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toBe('aborted by alice: latency regression seen by on-call');
    const after = await state();
    expect(after.snapshot).toEqual(before.snapshot);
    expect(after.revisions).toEqual([expect.objectContaining({ version: 'v1', replicas: 2, readyReplicas: 2 })]);
  });

  it('pause holds the release, resume lets it go on, and a manual gate waits for promote', async () => {
    await release(spec('v1'));
    const handle = await start(spec('v2', { steps: [{ weight: 50, gate: 'manual' }] }));
    await handle.signal(pauseSignal, { reason: 'change freeze' });
    const paused = await eventually('paused', async () =>
      (await handle.query(statusQuery)).paused ? handle.query(statusQuery) : undefined,
    );
    expect(paused.lastReason).toBe('paused: change freeze');
    // A promote is refused while the release is not at a gate.
    await expect(handle.executeUpdate(promoteUpdate, { args: [{ approver: 'bob' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await handle.query(statusQuery)).step).toBeUndefined(); // held before step 1

    await handle.signal(resumeSignal);
    await waitPhase(handle, 'awaiting-promotion');
    await expect(handle.executeUpdate(promoteUpdate, { args: [{ approver: 'bob' }] })).resolves.toMatchObject({ accepted: true, step: 1 });
    expect(await handle.result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
  });

  it('refuses a second release of the same service while one runs, saying which runs', async () => {
    await release(spec('v1'));
    const handle = await start(spec('v2', { steps: [{ weight: 50, gate: 'manual' }] }));
    await waitPhase(handle, 'awaiting-promotion');
    const err = await start(spec('v3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseInProgressError);
    expect((err as Error).message).toMatch(/release v3 refused: release v2 of rel-\w+\/llm is awaiting-promotion \(step 1\/1\)/);
    await handle.executeUpdate(abortUpdate, { args: [{ reason: 'test over' }] });
    expect((await handle.result()).outcome).toBe('rolled-back');
  });

  it('fails the step when the scheduler keeps reporting Insufficient nvidia.com/gpu, and rolls back', async () => {
    await release(spec('v1', { pool: 'a100', gpus: 4, replicas: 1 }));
    const before = await state();
    const handle = await start(spec('v2', { pool: 'a100', gpus: 4, steps: [{ replicas: 1, gate: 'manual' }, { replicas: 2 }] }));
    await waitPhase(handle, 'awaiting-promotion');
    // Someone else takes the GPUs the plan counted on.
    await h.kube.apps.createNamespacedDeployment({
      namespace: h.ns,
      body: {
        metadata: { name: 'gpu-thief' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'thief' } },
          template: {
            metadata: { labels: { app: 'thief' } },
            spec: {
              nodeSelector: { pool: 'a100' },
              tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
              containers: [{ name: 'c', image: 'thief', resources: { limits: { 'nvidia.com/gpu': '4' } } }],
            },
          },
        },
      },
    });
    await eventually('thief running', async () => {
      const d = await h.kube.apps.readNamespacedDeployment({ namespace: h.ns, name: 'gpu-thief' });
      return (d.status?.readyReplicas ?? 0) === 2 ? d : undefined;
    });
    await handle.executeUpdate(promoteUpdate, { args: [{ approver: 'bob' }] });
    const cause = await failureOf(handle.result());
    expect(cause.type).toBe(ErrorType.GpuCapacityExhausted);
    expect(cause.message).toMatch(/release rolled back: .*cannot be scheduled: .*Insufficient nvidia\.com\/gpu/);
    expect((await handle.query(statusQuery)).phase).toBe('failed');
    expect((await state()).snapshot).toEqual(before.snapshot);
  });

  it('refuses an invalid spec with the field and the reason, before starting anything', async () => {
    await expect(start({ ...spec('v1'), image: 'model:latest' })).rejects.toThrow(/image: must be registry-host\/repository/);
    await expect(start({ ...spec('v1'), replicas: 0 })).rejects.toThrow(/replicas: /);
  });
});
