import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { ENV_NAMES } from '../../worker/config';

const run = promisify(execFile);
const KUBECTL = join(homedir(), '.cache', 'autoglm-deploy', 'bin', 'kubectl');
const K8S = join(__dirname, '..', '..', 'infra', 'k8s');

// infra/k8s: every overlay renders with kustomize, passes the API server's strict validation
// (server-side dry-run), and the local overlay applies for real.
describe('infra/k8s manifests', () => {
  let kube: Kube;
  let ns: string;
  const kubectl = (...args: string[]) => run(KUBECTL, [...args, '--kubeconfig', testStack().kubernetes.kubeconfig]);
  /** What the API server would store for a file, validated strictly (server-side dry-run). */
  const dryRunJson = async (file: string) =>
    (
      await kubectl(
        'apply',
        '--server-side',
        '--dry-run=server',
        '--validate=strict',
        '--field-manager=autoglm-test',
        '-o',
        'json',
        '-f',
        file,
      )
    ).stdout;
  /** The overlay's objects, moved into the test's namespace. */
  const render = async (overlay: string) => {
    const { stdout } = await run(KUBECTL, ['kustomize', join(K8S, 'overlays', overlay)]);
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-')), `${overlay}.yaml`);
    writeFileSync(file, stdout.replace(/^(\s+)namespace: models$/gm, `$1namespace: ${ns}`));
    return {
      file,
      kinds: parseAllDocuments(stdout)
        .map((d) => (d.toJS() as { kind: string }).kind)
        .sort(),
    };
  };
  beforeAll(async () => {
    kube = testKube();
    ns = await createTestNamespace(kube, 'k8s');
  });
  afterAll(() => deleteNamespace(kube, ns));

  it.each(['local', 'production'])('the %s overlay passes server-side validation', async (overlay) => {
    const { file, kinds } = await render(overlay);
    expect(kinds).toEqual([
      'BackendTrafficPolicy',
      'Deployment',
      'HTTPRoute',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'SecurityPolicy',
      'Service',
    ]);
    const { stdout } = await kubectl(
      'apply',
      '--server-side',
      '--dry-run=server',
      '--validate=strict',
      '--field-manager=autoglm-test',
      '-f',
      file,
    );
    expect(stdout.trim().split('\n')).toHaveLength(9);
  });

  it('the local overlay applies, GPU limits, probes and the queue metric in place', async () => {
    const { file } = await render('local');
    await kubectl('apply', '--server-side', '--validate=strict', '--field-manager=autoglm-test', '-f', file);
    const d = await kube.apps.readNamespacedDeployment({ namespace: ns, name: 'autoglm' });
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.resources?.limits?.['nvidia.com/gpu']).toBe('8');
    expect(c.startupProbe?.failureThreshold).toBe(90);
    expect(d.spec!.template.spec!.nodeSelector).toEqual({ pool: 'a100' });
    const hpa = (await kube.objects.read({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'autoglm', namespace: ns },
    })) as unknown as { spec: { metrics: { type: string }[] } };
    expect(hpa.spec.metrics.map((m) => m.type)).toEqual(['Resource', 'Resource', 'Pods']);
  });

  it("the shipped PodMonitor passes the prometheus-operator CRD's validation, selecting the model-server pods' http port", async () => {
    const text = readFileSync(join(K8S, '..', 'prometheus', 'podmonitor.yaml'), 'utf8');
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'podmonitor.yaml');
    writeFileSync(file, text.replace(/^(\s+)namespace: monitoring$/gm, `$1namespace: ${ns}`));
    const stdout = await dryRunJson(file);
    const pm = JSON.parse(stdout) as {
      spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] };
    };
    expect(pm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/component': 'model-server' });
    expect(pm.spec.podMetricsEndpoints.map((e) => e.port)).toEqual(['http']);
    // A field the CRD does not have is refused: the validation is real.
    writeFileSync(file, readFileSync(file, 'utf8').replace('interval: 15s', 'intervall: 15s'));
    await expect(
      kubectl('apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=autoglm-test', '-f', file),
    ).rejects.toThrow(/intervall/);
  });

  it("the worker's Deployment passes server-side validation, under its ServiceAccount, versioned by its label", async () => {
    const text = readFileSync(join(K8S, '..', 'worker', 'deployment.yaml'), 'utf8');
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'worker.yaml');
    writeFileSync(file, text.replace(/^(\s+)namespace: autoglm-system$/gm, `$1namespace: ${ns}`));
    const stdout = await dryRunJson(file);
    const d = JSON.parse(stdout) as {
      metadata: { labels: Record<string, string> };
      spec: {
        template: {
          spec: {
            serviceAccountName: string;
            containers: { env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[];
          };
        };
      };
    };
    expect(d.spec.template.spec.serviceAccountName).toBe('autoglm-worker');
    const env = new Map(d.spec.template.spec.containers[0]!.env.map((e) => [e.name, e]));
    expect(env.get('AUTOGLM_BUILD_ID')?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.labels['app.kubernetes.io/version']");
    expect(d.metadata.labels['app.kubernetes.io/version']).toBe('0.1.0');
    // Every variable it sets is one the worker reads.
    const known = new Set([...Object.values(ENV_NAMES)]);
    expect([...env.keys()].filter((name) => !known.has(name as never))).toEqual([]);
  });

  it('refuses a manifest the API server would not take (the check can fail)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'bad.yaml');
    writeFileSync(
      file,
      `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: bad, namespace: ${ns} }\nspec: { maxUnavailable: 1, selectr: {} }\n`,
    );
    await expect(kubectl('apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', file)).rejects.toThrow(
      /\.spec\.selectr: field not declared in schema/,
    );
  });
});
