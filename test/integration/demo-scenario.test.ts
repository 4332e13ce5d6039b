import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { deleteNamespace, testKube } from '../support/kube';
import { TEST_STACK } from '../support/stack';
import { runEntry } from '../support/run-entry';

/** `npm run demo -- --scenario FILE` as a user runs it, on the test stack. */
const demo = (args: string[]) => runEntry('demo/main.ts', [...args, '--stack', TEST_STACK]);

describe('demo --scenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
  const namespace = `it-scenario-${randomBytes(3).toString('hex')}`;
  afterAll(() => deleteNamespace(testKube(), namespace));

  it('runs each step, says which outcomes differ from the expected ones, and exits 1', async () => {
    const file = join(dir, 'mixed.yaml');
    writeFileSync(
      file,
      stringify({
        name: 'mixed',
        images: { v1: {}, unsigned: { signed: false } },
        service: {
          service: 'scn',
          namespace,
          model: { name: 'm' },
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 1,
          rollout: { steps: [{ weight: 50 }] },
        },
        steps: [
          { release: { version: 'v1.0.0', image: 'v1', canary: { modelLoad: '1s' }, expect: { outcome: 'promoted' } } },
          { release: { version: 'v2.0.0', image: 'unsigned', expect: { outcome: 'refused', reason: 'NO COSIGN SIGNATURE' } } },
          // The same spec again changes nothing: the file wrongly expects a promotion.
          { release: { version: 'v1.0.0', image: 'v1', canary: { modelLoad: '1s' }, expect: { outcome: 'promoted' } } },
          // Only one revision was ever promoted: nothing to roll back to.
          { rollback: { reason: 'testing', expect: { outcome: 'failed', reason: 'impossible' } } },
        ],
      }),
    );
    const r = await demo(['--scenario', file]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/✓ step 1 release v1\.0\.0: promoted/);
    expect(r.out).toMatch(/✓ step 2 release v2\.0\.0: refused \(v2\.0\.0\): image refused: .*no cosign signature/);
    expect(r.out).toMatch(/✗ step 3 release v1\.0\.0: unchanged/);
    expect(r.out).toMatch(/expected promoted, got unchanged/);
    expect(r.out).toMatch(/✓ step 4 rollback: failed: .*impossible/);
    expect(r.out).toMatch(/summary: 3\/4 steps as expected/);
    expect(r.code).toBe(1);
    // The service still runs the first release: the refusals and the failed rollback changed nothing.
    const deployments = await testKube().apps.listNamespacedDeployment({ namespace });
    expect(deployments.items.map((d) => [d.metadata?.labels?.['app.kubernetes.io/version'], d.status?.readyReplicas])).toEqual([
      ['v1.0.0', 1],
    ]);
  });

  it('refuses an invalid scenario file in one line with exit 2, before touching the stack', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      stringify({
        name: 'bad',
        images: { v1: {} },
        service: { service: 'scn', namespace },
        steps: [{ release: { version: 'v1', image: 'v9', expect: { outcome: 'promoted' } } }],
      }),
    );
    const r = await demo(['--scenario', file]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/bad\.yaml: steps\[0\] \(release v1\): unknown image "v9"/);
    expect(r.out).toBe('');
  });
});
