import { WorkflowFailedError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { historyConfigMapName } from '../../activities/kubernetes/revisions';
import { ReleaseInProgressError, releaseHandle, startRelease } from '../../client/releases';
import { startRollback } from '../../client/rollbacks';
import type { RevisionRecord } from '../../core/revision-history';
import type { ServiceSpecInput } from '../../core/service-spec';
import { useGitHubWorker } from '../support/github/use-emulator';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { statusQuery } from '../../workflows/messages';

// An on-call rollback on the real stack: it preempts a release in flight and keeps the revision
// that served when that release started; with none in flight it puts back the one before.
describe('on-call rollback', () => {
  const gh = useGitHubWorker('it-rb');
  const { github } = gh;
  const h = useReleaseHarness('rb', 'file');

  const spec = (version: string, steps: ServiceSpecInput['rollout']['steps'] = [{ weight: 50 }]): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version,
    environment: 'production',
    image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 2,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps },
  });
  const release = (s: ServiceSpecInput) =>
    startRelease(gh.worker.client, s, {
      taskQueue: gh.worker.taskQueue,
      requestedBy: 'ci',
      github: { owner: 'zai-org', repo: 'Open-AutoGLM', ref: `${s.version}.0` },
    });
  const history = async () =>
    JSON.parse(
      (await h.kube.core.readNamespacedConfigMap({ namespace: h.ns, name: historyConfigMapName('llm') })).data!['history.json']!,
    ) as RevisionRecord[];
  const statesOf = (ref: string) =>
    github.deployments
      .filter((d) => d.ref === ref)
      .map((d) => github.statuses.get(d.id as number)!.map((s) => `${s.state}: ${s.description}`));
  const versionsDeployed = async () =>
    (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items.map((d) => d.metadata!.labels!['app.kubernetes.io/version']);

  it('preempts a running release and keeps the revision it started from, with no canary left', async () => {
    await (await release(spec('v1'))).result();
    await (await release(spec('v2'))).result();
    expect((await history()).map((r) => [r.version, r.kind])).toEqual([
      ['v2', 'release'],
      ['v1', 'release'],
    ]);
    const v3 = await release(spec('v3', [{ weight: 50, gate: 'manual' }]));
    await eventually(
      'v3 at its gate',
      async () => ((await v3.query(statusQuery)).phase === 'awaiting-promotion' ? true : undefined),
      60_000,
    );

    const rollback = await startRollback(
      gh.worker.client,
      { namespace: h.ns, service: 'llm', reason: 'p99 regression', requestedBy: 'alice' },
      { taskQueue: gh.worker.taskQueue },
    );
    // Never two workflows changing the service: a release asked for meanwhile is refused.
    await expect(release(spec('v4'))).rejects.toBeInstanceOf(ReleaseInProgressError);
    const again = await startRollback(
      gh.worker.client,
      { namespace: h.ns, service: 'llm', reason: 'p99 regression', requestedBy: 'bob' },
      { taskQueue: gh.worker.taskQueue },
    );
    expect(again.firstExecutionRunId).toBe(rollback.firstExecutionRunId); // attached, not a second rollback
    const result = await rollback.result();

    expect(result.outcome).toBe('rolled-back');
    // v2 was serving when v3 started: stopping v3 is the rollback; v2 is not redeployed, v1 not touched.
    expect(result.status).toMatchObject({
      preempted: { version: 'v3', phase: 'awaiting-promotion' },
      target: { version: 'v2' },
      requestedBy: 'alice',
      phase: 'succeeded',
    });
    expect(result.status.lastReason).toMatch(/^release v3 stopped before promotion; v2 \(.+\) kept serving$/);
    expect(result.release).toBeUndefined();
    expect(await versionsDeployed()).toEqual(['v2']);
    const preempted = await gh.worker.client.workflow.getHandle(v3.workflowId, v3.firstExecutionRunId).result();
    expect(preempted).toMatchObject({
      outcome: 'rolled-back',
      reason: 'aborted by alice: preempted by an on-call rollback: p99 regression',
    });
    expect((await history()).map((r) => [r.version, r.kind, r.by])).toEqual([
      ['v2', 'rollback', 'alice'],
      ['v2', 'release', 'ci'],
      ['v1', 'release', 'ci'],
    ]);
    expect((await history())[0]).toMatchObject({ reason: 'p99 regression' });

    // GitHub: v3's deployment failed with the reason; nothing was redeployed.
    expect(statesOf('v3.0').at(-1)!.at(-1)).toMatch(/^failure: rolled back: aborted by alice: preempted by an on-call rollback/);
    expect(statesOf('v2.0')).toHaveLength(1);
  });

  it('with no release in flight, puts back the revision promoted before the serving one (--to goes further)', async () => {
    const result = await (
      await startRollback(
        gh.worker.client,
        { namespace: h.ns, service: 'llm', to: 'v1', reason: 'v2 leaks memory', requestedBy: 'alice' },
        { taskQueue: gh.worker.taskQueue },
      )
    ).result();
    expect(result.status).toMatchObject({ target: { version: 'v1' } });
    expect(result.release).toMatchObject({ outcome: 'promoted', version: 'v1' });
    expect(result.release!.status.weights).toEqual({ stable: 0, canary: 100 });
    expect(await versionsDeployed()).toEqual(['v1']);
    const [newest] = await history();
    expect(newest).toMatchObject({ version: 'v1', kind: 'rollback', by: 'alice', reason: 'v2 leaks memory' });
    // GitHub: v1's ref deployed again, said by whom.
    expect(statesOf('v1.0').at(-1)).toEqual(['in_progress: v1 started by alice (on-call rollback)', 'success: v1 promoted (surge)']);
  });

  it('is harmless when started again after it ended', async () => {
    const before = await history();
    const r = await (
      await startRollback(
        gh.worker.client,
        { namespace: h.ns, service: 'llm', reason: 'again', requestedBy: 'bob' },
        { taskQueue: gh.worker.taskQueue },
      )
    ).result();
    expect(r.outcome).toBe('unchanged');
    expect(r.status.lastReason).toMatch(/v1 \(.+\) is serving: restored by alice/);
    expect(await history()).toEqual(before);
    expect(await versionsDeployed()).toEqual(['v1']);
  });

  it('refuses a revision the history does not have, changing nothing', async () => {
    const err = await (
      await startRollback(
        gh.worker.client,
        { namespace: h.ns, service: 'llm', to: 'v9', reason: 'typo', requestedBy: 'bob' },
        { taskQueue: gh.worker.taskQueue },
      )
    )
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      /revision v9 is not in the service's history \(known: v1 .*, v2 .*, v2 .*, v1 /,
    );
    expect(await versionsDeployed()).toEqual(['v1']);
    expect((await releaseHandle(gh.worker.client, h.ns, 'llm').query(statusQuery)).version).toBe('v1');
  });
});

// The case that failed before: only v1 promoted, v2 in flight. The rollback stops v2, keeps v1,
// exits as rolled back and records it (it used to fail with "no revision was promoted before").
describe('on-call rollback of a second release', () => {
  const h = useReleaseHarness('rb2', 'file');
  const spec = (version: string, steps: ServiceSpecInput['rollout']['steps']): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version,
    image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps },
  });

  it('stops it and keeps the first, recorded with who and why', async () => {
    const release = (s: ServiceSpecInput) => startRelease(h.worker.client, s, { taskQueue: h.worker.taskQueue, requestedBy: 'ci' });
    await (await release(spec('v1', [{ weight: 100 }]))).result();
    const v2 = await release(spec('v2', [{ weight: 100, gate: 'manual' }]));
    await eventually(
      'v2 at its gate',
      async () => ((await v2.query(statusQuery)).phase === 'awaiting-promotion' ? true : undefined),
      60_000,
    );
    const result = await (
      await startRollback(
        h.worker.client,
        { namespace: h.ns, service: 'llm', reason: 'bad answers', requestedBy: 'carol' },
        { taskQueue: h.worker.taskQueue },
      )
    ).result();
    expect(result).toMatchObject({ outcome: 'rolled-back', status: { target: { version: 'v1' }, preempted: { version: 'v2' } } });
    const records = JSON.parse(
      (await h.kube.core.readNamespacedConfigMap({ namespace: h.ns, name: historyConfigMapName('llm') })).data!['history.json']!,
    ) as RevisionRecord[];
    expect(records.map((r) => [r.version, r.kind, r.by, r.reason])).toEqual([
      ['v1', 'rollback', 'carol', 'bad answers'],
      ['v1', 'release', 'ci', undefined],
    ]);
    const deployed = (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items;
    expect(deployed.map((d) => d.metadata!.labels!['app.kubernetes.io/version'])).toEqual(['v1']);
  });
});
