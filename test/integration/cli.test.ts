import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';
import { cli } from '../support/run-entry';

describe('autoglm-deploy CLI', () => {
  let kube: Kube;
  let w: TestWorker;
  let ns: string;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'cli-spec-'));
  const specFile = (version: string, steps: unknown[]) => {
    const file = join(dir, `${version}.yaml`);
    writeFileSync(
      file,
      stringify({
        service: 'svc',
        namespace: ns,
        version,
        image: `registry.local/m@sha256:${version.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a')}`,
        model: { name: 'm' },
        gpu: { pool: 'l4', perReplica: 2 },
        replicas: 2,
        server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
        container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
        rollout: { steps },
      }),
    );
    return file;
  };
  beforeAll(async () => {
    kube = testKube();
    w = await startTestWorker('it-cli');
    ns = await createTestNamespace(kube, 'cli');
    env = { TEMPORAL_ADDRESS: testStack().temporal.address, AUTOGLM_TASK_QUEUE: w.taskQueue };
  });
  afterAll(async () => {
    await deleteNamespace(kube, ns);
    await w?.stop();
  });

  it('refuses an invalid spec in one line with exit code 2, never a stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'service: svc\nreplicas: many\n');
    const r = await cli(['spec', 'validate', file], env);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/replicas: Invalid input: expected number/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('starts a release and follows it to promotion with --wait', async () => {
    const r = await cli(['release', 'start', specFile('1a', [{ weight: 50 }]), '--wait'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`started release:${ns}\\.svc`));
    expect(r.out).toMatch(/promoted: .*svc 1a/);
  });

  it('takes the image and version from flags (a CI job releasing what it built), refusing a bad --github-repo', async () => {
    const image = `registry.local/m@sha256:${'b'.repeat(64)}`;
    const r = await cli(['release', 'start', specFile('1b', [{ weight: 50 }]), '--image', image, '--version', '1b-ci', '--wait'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/promoted: .*svc 1b-ci/);
    const [deployed] = (await kube.apps.listNamespacedDeployment({ namespace: ns })).items;
    expect(deployed!.spec!.template.spec!.containers[0]!.image).toBe(image);
    const bad = await cli(['release', 'start', specFile('1c', [{ weight: 50 }]), '--github-repo', 'just-a-name'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--github-repo: "just-a-name" is not owner\/repo/);
  });

  it('gates, refuses a second start (exit 3), reports status, aborts, and watch exits 1 on rollback', async () => {
    expect((await cli(['release', 'start', specFile('2b', [{ weight: 50, gate: 'manual' }])], env)).code).toBe(0);
    const conflict = await cli(['release', 'start', specFile('3c', [{ weight: 50 }])], env);
    expect(conflict.code).toBe(3);
    expect(conflict.err).toMatch(/release 3c refused: release 2b/);
    await eventually(
      'at the gate',
      async () => {
        const st = await cli(['release', 'status', '-s', 'svc', '-n', ns, '--json'], env);
        return JSON.parse(st.out).phase === 'awaiting-promotion' ? true : undefined;
      },
      90_000,
    );
    const watch = cli(['release', 'watch', '-s', 'svc', '-n', ns], env);
    const abort = await cli(['abort', '-s', 'svc', '-n', ns, '--reason', 'cli test', '--by', 'dave'], env);
    expect(abort.code).toBe(0);
    const watched = await watch;
    expect(watched.code).toBe(1);
    expect(watched.out).toMatch(/rolled-back: .* — aborted by unverified:dave: cli test/);
  });

  it('rolls back on call with live progress to the revision before the serving one; a bad --to exits 1', async () => {
    // Serving: 1b-ci (1a before it); 2b was aborted, so it is not in the history.
    const r = await cli(['rollback', '-s', 'svc', '-n', ns, '--reason', 'bad answers', '--by', 'erin'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rollback redeploying \| to 1a \(/);
    expect(r.out).toMatch(/rolled back: .*\/svc serves 1a \(/);
    const images = (await kube.apps.listNamespacedDeployment({ namespace: ns })).items.map(
      (d) => d.metadata!.labels!['app.kubernetes.io/version'],
    );
    expect(images).toEqual(['1a']);
    const unknown = await cli(['rollback', '-s', 'svc', '-n', ns, '--reason', 'x', '--to', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/rollback failed: .*revision nope is not in the service's history \(known: 1a/);
    const noReason = await cli(['rollback', '-s', 'svc', '-n', ns], env);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/--reason/);
  });

  it('runs a drill with live progress, schedules, lists, pauses and deletes drills; a bad drill file exits 2', async () => {
    const file = join(dir, 'drill.yaml');
    writeFileSync(file, stringify({ namespace: ns, service: 'svc', backupStore: { path: mkdtempSync(join(tmpdir(), 'cli-backups-')) } }));
    const r = await cli(['drill', 'run', file], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/drill verifying/);
    expect(r.out).toMatch(/^passed: RTO [\d.]+ s \(target 300 s\), RPO [\d.]+ s \(target 60 s\)$/m);
    const created = await cli(['drill', 'schedule', 'create', file, '--every', '24h', '--note', 'weekly'], env);
    expect(created).toMatchObject({ code: 0, out: `created schedule dr-drill:${ns}.svc\n` });
    expect((await cli(['drill', 'schedule', 'create', file, '--every', '24h'], env)).code).toBe(3);
    expect((await cli(['drill', 'schedule', 'pause', `dr-drill:${ns}.svc`], env)).code).toBe(0);
    await eventually(
      'listed as paused',
      async () => {
        const list = JSON.parse((await cli(['drill', 'schedule', 'list', '--json'], env)).out) as { scheduleId: string; paused: boolean }[];
        return list.find((x) => x.scheduleId === `dr-drill:${ns}.svc` && x.paused);
      },
      30_000,
    );
    expect((await cli(['drill', 'schedule', 'delete', `dr-drill:${ns}.svc`], env)).code).toBe(0);
    writeFileSync(file, 'namespace: x\nservice: y\n');
    const bad = await cli(['drill', 'run', file], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/invalid drill spec: backupStore/);
  });

  it('protects a service, then restores it with live progress; refused over it while serving without --replace', async () => {
    const backups = mkdtempSync(join(tmpdir(), 'cli-protect-'));
    const file = join(dir, 'protect.yaml');
    const store = { kind: 'directory', path: backups };
    writeFileSync(
      file,
      stringify({ namespace: ns, service: 'svc', backupStore: store, debounce: '1s', maxDelay: '5s', pollInterval: '500ms' }),
    );
    expect(await cli(['protect', 'start', file], env)).toMatchObject({ code: 0, out: `protecting: protect:${ns}.svc\n` });
    const status = await eventually(
      'a verified backup',
      async () => {
        const r = await cli(['protect', 'status', '-s', 'svc', '-n', ns], env);
        return /newest verified backup \S+, [\d.]+ s ago/.test(r.out) ? r.out : undefined;
      },
      60_000,
    );
    expect(status).toMatch(new RegExp(`^${ns}/svc: watching\n.*\n\\d+ backups; RPO of the last \\d+ changes`, 'm'));
    expect((await cli(['protect', 'stop', '-s', 'svc', '-n', ns], env)).out).toMatch(/stopped protecting .*\/svc \(its backups stay\)/);

    const serving = await cli(['restore', '-s', 'svc', '-n', ns, '--directory', backups], env);
    expect(serving.code).toBe(1);
    expect(serving.err).toMatch(/restore failed: .*svc is serving \(\d+ ready pods? of .*\): restore over it with --replace/);
    const r = await cli(['restore', '-s', 'svc', '-n', ns, '--directory', backups, '--replace'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\[\s*\d+s\] restore [a-z-]+/m); // live progress (a quick restore may show only its first phase)
    expect(r.out).toMatch(new RegExp(`^restored ${ns}/svc from \\S+ into ${ns}: \\d+ objects, serving after [\\d.]+ s$`, 'm'));
    expect((await cli(['restore', '-s', 'svc', '-n', ns], env)).code).toBe(2); // no store named
  });

  it('refuses an unknown GPU pool and a misspelt field before any workflow starts (exit 2), and warns of a weight that runs at another share', async () => {
    const typo = specFile('4a', [{ weight: 50 }]).replace(/4a\.yaml$/, '4a-typo.yaml');
    writeFileSync(typo, readFileSync(specFile('4a', [{ weight: 50 }]), 'utf8').replace('replicas: 2', 'replicaz: 2\nreplicas: 2'));
    const misspelt = await cli(['release', 'start', typo], env);
    expect(misspelt.code).toBe(2);
    expect(misspelt.err).toMatch(/invalid service spec: replicaz: unknown field/);

    const noPool = specFile('4b', [{ weight: 50 }]).replace(/4b\.yaml$/, '4b-h100.yaml');
    writeFileSync(noPool, readFileSync(specFile('4b', [{ weight: 50 }]), 'utf8').replace('pool: l4', 'pool: h100'));
    const refused = await cli(['release', 'start', noPool, '--wait'], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/gpu\.pool: GPU pool "h100" has no nodes/);
    expect(refused.err).toMatch(/weight 50 runs at about 33 %/); // 2 replicas: 1 canary beside 2 stable
    expect(refused.out).not.toMatch(/started/);
  });

  it("a release the worker refuses says why in watch and status, not 'Activity task failed'", async () => {
    // Started past the client's pool check (as an old client or the API would): the workflow refuses it itself.
    const spec = parse(readFileSync(specFile('4c', [{ weight: 50 }]), 'utf8').replace('pool: l4', 'pool: h100')) as ServiceSpecInput;
    await (await startRelease(w.client, spec, { taskQueue: w.taskQueue })).result().catch(() => undefined);
    const watched = await cli(['release', 'watch', '-s', 'svc', '-n', ns], env);
    expect(watched.code).toBe(1);
    expect(watched.err).toMatch(/^refused \(in planning\): cannot plan the rollout: GPU pool "h100" has no nodes/m);
    const status = JSON.parse((await cli(['release', 'status', '-s', 'svc', '-n', ns, '--json'], env)).out);
    expect(status).toMatchObject({ version: '4c', phase: 'failed', lastReason: expect.stringMatching(/GPU pool "h100" has no nodes/) });
  });

  it('says which release is missing, with exit code 4', async () => {
    const r = await cli(['release', 'status', '-s', 'nothing', '-n', ns], env);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/no release of .*\/nothing found/);
    const rollback = await cli(['rollback', '-s', 'never-released', '-n', ns, '--reason', 'x'], env);
    expect(rollback.code).toBe(4);
    expect(rollback.err).toMatch(/the service has no serving revision and no history/);
    const promote = await cli(['promote', '-s', 'svc', '-n', ns], env);
    expect(promote.code).toBe(4);
    expect(promote.err).toMatch(/no release of .*\/svc in flight \(the latest ended: failed\)/);
  });

  it('shows the status of a release that has ended with no worker running', async () => {
    await w.stop();
    const started = Date.now();
    const r = await cli(['release', 'status', '-s', 'svc', '-n', ns, '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ version: '4c', phase: 'failed', lastReason: expect.stringMatching(/h100/) });
    expect(Date.now() - started).toBeLessThan(10_000); // no query waiting for a worker
  });
});
