import { newestRecordedSpec, pointAtWeights, type BackedUpObject } from '../../activities/backup/objects';
import { drillReport } from '../../core/drill/figures';
import { restoredWeightsUri } from '../../core/model-weights';

const HISTORY = 'autoglm-revisions-llm';
const SOURCE = 's3://models/glm/v1';
const COPY = 's3://models/autoglm-restores/dr-llm-1234';

const deployment = (args: string[]): BackedUpObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'llm-abc', namespace: 'ns' },
  spec: { template: { spec: { containers: [{ name: 'model-server', command: ['vllm', 'serve'], args }] } } },
});
const history = (uris: (string | undefined)[]): BackedUpObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: HISTORY, namespace: 'ns' },
  data: {
    'history.json': JSON.stringify(
      uris.map((uri, i) => ({ revision: `r${i}`, spec: { model: { name: 'glm', ...(uri ? { source: { uri } } : {}) } } })),
    ),
  },
});
const argsOf = (o: BackedUpObject) =>
  (o.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args;

describe('weights in a restore', () => {
  it('points the Deployments and the revision history at the restored copy, nothing else', () => {
    const objects = [
      deployment([SOURCE, '--served-model-name', 'glm', '--load-format', 'runai_streamer']),
      deployment([`${SOURCE}/`, '--served-model-name', SOURCE]), // a trailing slash is the same place
      deployment(['s3://models/glm/v10', '--port', '8000']), // another model: untouched
      history([SOURCE, 's3://models/glm/v0', undefined]),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys' }, data: { uri: SOURCE } } as BackedUpObject,
    ];
    const moved = pointAtWeights(objects, HISTORY, SOURCE, COPY);
    expect(argsOf(moved[0]!)).toEqual([COPY, '--served-model-name', 'glm', '--load-format', 'runai_streamer']);
    expect(argsOf(moved[1]!)).toEqual([COPY, '--served-model-name', COPY]);
    expect(argsOf(moved[2]!)).toEqual(['s3://models/glm/v10', '--port', '8000']);
    expect(newestRecordedSpec(moved, HISTORY)).toEqual({ model: { name: 'glm', source: { uri: COPY } } });
    const records = JSON.parse((moved[3] as { data: Record<string, string> }).data['history.json']!) as { spec: unknown }[];
    expect(records.map((r) => r.spec)).toEqual([
      { model: { name: 'glm', source: { uri: COPY } } },
      { model: { name: 'glm', source: { uri: 's3://models/glm/v0' } } },
      { model: { name: 'glm' } },
    ]);
    expect(moved[4]).toBe(objects[4]);
    // The input is not changed in place (a retried activity restores from the same objects).
    expect(argsOf(objects[0]!)[0]).toBe(SOURCE);
  });

  it.each([
    ['s3://models/glm/v1', 'dr-llm-1', 's3://models/autoglm-restores/dr-llm-1'],
    ['s3://models', 'dr-x', 's3://models/autoglm-restores/dr-x'],
    ['/models/glm', 'dr-x', undefined],
  ])('restores %s of %s to %s', (source, ns, target) => {
    expect(restoredWeightsUri(source, ns)).toBe(target);
  });

  it('reports the weights of a backup: where from, digest, what was copied', () => {
    const body = drillReport({
      namespace: 'ns',
      service: 'llm',
      isolatedNamespace: 'dr-llm-x',
      backup: {
        backupId: 'b',
        takenAt: 't',
        newestDataAt: 't',
        objects: 5,
        files: 0,
        bytes: 0,
        durationMs: 1500,
        taken: true,
        weights: { source: SOURCE, digest: 'ab'.repeat(32), files: 3, bytes: 4 * 2 ** 20, copied: 1, reused: 2 },
      },
    }).body;
    expect(body).toContain(`| Weights | \`${SOURCE}\` (sha256 abababababab…): 3 files, 4.0 MiB; 1 copied, 2 already backed up |`);
  });
});
