import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse, stringify } from 'yaml';
import { applyObjects } from '../../activities/kubernetes/apply';
import type { Kube } from '../../activities/kubernetes/client';
import { WorkflowFailedError } from '@temporalio/client';
import { startDrill } from '../../client/drills';
import { startRelease } from '../../client/releases';
import type { KubeObject } from '../../core/manifests';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const KUBECTL = join(homedir(), '.cache', 'autoglm-deploy', 'bin', 'kubectl');
const SA = 'system:serviceaccount:autoglm-system:autoglm-worker';
const manifests = (file: string) =>
  parseAllDocuments(readFileSync(join(ROOT, 'infra', 'worker', file), 'utf8')).map((d) => d.toJS() as KubeObject);

// The worker as a least-privilege service: infra/worker/rbac.yaml grants what the activities use
// and nothing more, and a release passes with the worker holding only that ServiceAccount's token.
describe('worker RBAC', () => {
  let kube: Kube;
  let ns: string;
  let worker: TestWorker | undefined;
  const kubectl = (...args: string[]) =>
    run(KUBECTL, [...args, '--kubeconfig', testStack().kubernetes.kubeconfig]).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? '',
    );

  // Cluster-wide, so it must not outlive the drill test (the stack is reused by later runs).
  const removeDrillRbac = () =>
    Promise.all(
      manifests('dr-drill-rbac.yaml').map((o) =>
        kube.objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name } }).catch(() => undefined),
      ),
    );

  beforeAll(async () => {
    kube = testKube();
    await removeDrillRbac();
    ns = await createTestNamespace(kube, 'rbac');
    await applyObjects(kube, manifests('rbac.yaml'));
    await applyObjects(
      kube,
      manifests('service-namespace-binding.yaml').map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns } })),
    );
  });
  afterAll(async () => {
    await removeDrillRbac();
    await worker?.stop();
    await deleteNamespace(kube, ns);
  });

  it('grants the service namespace exactly the rules of the manifest (kubectl auth can-i --list)', async () => {
    const out = await kubectl('auth', 'can-i', '--list', `--as=${SA}`, '-n', ns);
    const granted = new Map<string, string>();
    for (const line of out.split('\n').slice(1)) {
      const m = /^(\S+)\s+\[[^\]]*\]\s+\[[^\]]*\]\s+\[([^\]]*)\]/.exec(line.trim());
      if (m) granted.set(m[1]!, m[2]!.split(' ').sort().join(' '));
    }
    const expected = new Map<string, string>();
    const roles = manifests('rbac.yaml').filter((o) => o.kind === 'ClusterRole') as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    }[];
    for (const rule of roles.flatMap((r) => r.rules)) {
      for (const res of rule.resources) {
        // kubectl's notation: deployments.apps, deployments.apps/scale, pods
        const [base, sub] = res.split('/');
        const key = `${base}${rule.apiGroups[0] ? `.${rule.apiGroups[0]}` : ''}${sub ? `/${sub}` : ''}`;
        expected.set(key, [...new Set([...(expected.get(key)?.split(' ') ?? []), ...rule.verbs])].sort().join(' '));
      }
    }
    for (const [resource, verbs] of expected) expect({ resource, verbs: granted.get(resource) }).toEqual({ resource, verbs });
    // Nothing else, apart from what every authenticated identity may do.
    const extra = [...granted.keys()].filter((r) => !expected.has(r) && !/^selfsubject|^\*\./.test(r));
    expect(extra).toEqual([]);
    expect([...granted.values()].some((v) => v.split(' ').includes('*'))).toBe(false);
  });

  it('refuses what the worker does not need', async () => {
    const no = async (...args: string[]) => expect((await kubectl('auth', 'can-i', ...args, `--as=${SA}`)).trim()).toBe('no');
    await no('delete', 'secrets', '-n', ns); // backups list and restores create them; nothing removes one
    await no('create', 'deployments', '-n', 'default'); // no binding there
    await no('list', 'secrets', '-n', 'kube-system');
    await no('delete', 'nodes');
    await no('create', 'clusterrolebindings');
  });

  it("releases with only the ServiceAccount's token", async () => {
    const token = (
      await kube.core.createNamespacedServiceAccountToken({
        namespace: 'autoglm-system',
        name: 'autoglm-worker',
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      })
    ).status!.token;
    const admin = parse(readFileSync(testStack().kubernetes.kubeconfig, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const file = join(mkdtempSync(join(tmpdir(), 'rbac-')), 'kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        'current-context': 'worker',
        contexts: [{ name: 'worker', context: { cluster: admin.clusters[0]!.name, user: 'autoglm-worker' } }],
        users: [{ name: 'autoglm-worker', user: { token } }],
      }),
    );
    worker = await startTestWorker('it-rbac', { KUBECONFIG: file });
    const spec = (version: string) => ({
      service: 'llm',
      namespace: ns,
      version,
      image: `registry.local/m@sha256:${createHash('sha256')
        .update(version + ns)
        .digest('hex')}`,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 2,
      server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
      container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
      rollout: { steps: [{ weight: 50 }] },
    });
    expect(await (await startRelease(worker.client, spec('v1'), { taskQueue: worker.taskQueue })).result()).toMatchObject({
      outcome: 'promoted',
    });
    expect(await (await startRelease(worker.client, spec('v2'), { taskQueue: worker.taskQueue })).result()).toMatchObject({
      outcome: 'promoted',
      mode: 'surge',
    });
  });

  it('runs a DR drill with only that token once infra/worker/dr-drill-rbac.yaml lets it bind the service role in the copy', async () => {
    const store = mkdtempSync(join(tmpdir(), 'rbac-backups-'));
    const drill = async () =>
      (
        await startDrill(worker!.client, { namespace: ns, service: 'llm', backupStore: { path: store } }, { taskQueue: worker!.taskQueue })
      ).result();
    // Without it: refused with the reason and the remedy, the copy removed.
    const refused = await drill().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    expect((refused as WorkflowFailedError).cause?.message).toMatch(/RoleBinding .*forbidden .*needs infra\/worker\/dr-drill-rbac\.yaml/);
    await applyObjects(kube, manifests('dr-drill-rbac.yaml'));
    const result = await drill();
    expect(result.outcome).toBe('passed');
    expect(result.golden?.compared).toBeGreaterThan(0);
    // Still refused beyond that: no ClusterRoleBindings, no other role to bind.
    expect((await kubectl('auth', 'can-i', 'bind', 'clusterroles/cluster-admin', `--as=${SA}`)).trim()).toBe('no');
    expect((await kubectl('auth', 'can-i', 'create', 'clusterrolebindings', `--as=${SA}`)).trim()).toBe('no');
  });
});
