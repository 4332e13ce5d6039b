import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromOlderBackup, intoIsolatedNamespace, type BackedUpObject } from '../../activities/backup/objects';
import { seal, unseal } from '../../activities/backup/secrets';
import { aesKeyFrom } from '../../security/aes-key';
import { readBackup, restoreFiles, writeBackup, type BackupRef } from '../../activities/backup/archive';
import { DirectoryStore } from '../../activities/backup/directory-store';
import { expectBackupStoreContract } from '../support/backup-store-contract';
import { parseDocument } from 'yaml';
import { drillFigures, drillReport } from '../../core/drill/figures';
import { DrillSpec } from '../../core/drill/spec';

describe('backup secrets', () => {
  const key = aesKeyFrom(randomBytes(32).toString('base64'));
  const other = aesKeyFrom(randomBytes(32).toString('base64'));

  it('round-trips under its key and context, the plaintext nowhere in the envelope', () => {
    const sealed = seal(key, { token: 'hunter2-secret' }, 'ns/api-key');
    expect(JSON.stringify(sealed)).not.toMatch(/hunter2/);
    expect(sealed.keyId).toBe(key.id);
    expect(unseal([other, key], sealed, 'ns/api-key')).toEqual({ token: 'hunter2-secret' });
  });

  it("refuses a tampered envelope, another object's context, and an unknown key", () => {
    const sealed = seal(key, { token: 't' }, 'ns/a');
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => unseal([key], { ...sealed, ciphertext: flipped.toString('base64') }, 'ns/a')).toThrow();
    expect(() => unseal([key], sealed, 'ns/b')).toThrow();
    expect(() => unseal([other], sealed, 'ns/a')).toThrow(/sealed with key .* which the worker does not have/);
    expect(() => aesKeyFrom('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});

describe('backup store', () => {
  const root = mkdtempSync(join(tmpdir(), 'store-'));
  const models = mkdtempSync(join(tmpdir(), 'models-'));
  mkdirSync(join(models, 'tokenizer'));
  writeFileSync(join(models, 'weights.bin'), randomBytes(64 * 1024));
  writeFileSync(join(models, 'tokenizer', 'vocab.json'), '{"a":1}');

  const store = new DirectoryStore(root);
  const at = (id: string): BackupRef => ({ store, prefix: `ns/llm/${id}/` });

  it('writes a whole backup, returns the same one when asked again, and restores the files checked', async () => {
    const dir = join(root, 'ns/llm/b1');
    const m = await writeBackup(at('b1'), {
      backupId: 'b1',
      namespace: 'ns',
      service: 'llm',
      objects: [{ kind: 'Service' }],
      modelDir: models,
    });
    expect(m.files.map((f) => f.path)).toEqual(['tokenizer/vocab.json', 'weights.bin']);
    expect((await store.list('ns/llm/b1/')).map((o) => o.key)).toEqual(
      ['manifest.json', 'manifest.sha256', 'model/tokenizer/vocab.json', 'model/weights.bin', 'objects.json'].map((k) => `ns/llm/b1/${k}`),
    );
    expect(existsSync(join(dir, 'manifest.sha256'))).toBe(true);
    expect(await writeBackup(at('b1'), { backupId: 'b1', namespace: 'ns', service: 'llm', objects: [], modelDir: models })).toEqual(m); // idempotent
    const { manifest, objects } = await readBackup(at('b1'));
    expect(objects).toEqual([{ kind: 'Service' }]);
    const target = join(root, 'restored');
    expect(await restoreFiles(at('b1'), manifest, target)).toEqual({ files: 2, bytes: 64 * 1024 + 7 });
    expect(readFileSync(join(target, 'weights.bin'))).toEqual(readFileSync(join(models, 'weights.bin')));
  });

  it('names what is corrupt or missing', async () => {
    const dir = join(root, 'ns/llm/b2');
    const m = await writeBackup(at('b2'), {
      backupId: 'b2',
      namespace: 'ns',
      service: 'llm',
      objects: [{ kind: 'Service' }],
      modelDir: models,
    });
    writeFileSync(join(dir, 'objects.json'), '[{"kind":"Secret"}]');
    await expect(readBackup(at('b2'))).rejects.toThrow(/corrupt: objects.json does not match its checksum/);
    writeFileSync(join(dir, 'model', 'weights.bin'), 'x');
    await expect(restoreFiles(at('b2'), m, join(root, 'r2'))).rejects.toThrow(
      /model file weights.bin: checksum .* \(1 B\), the manifest says .* \(65536 B\)/,
    );
    writeFileSync(join(dir, 'manifest.json'), '{}');
    await expect(readBackup(at('b2'))).rejects.toThrow(/manifest.json does not match manifest.sha256/);
    await expect(readBackup(at('nope'))).rejects.toMatchObject({ type: 'BackupNotFound' });
  });

  it('a backup whose last key was never written does not exist, and a retry writes it whole', async () => {
    const m = await writeBackup(at('b3'), { backupId: 'b3', namespace: 'ns', service: 'llm', objects: [], modelDir: models });
    await store.delete('ns/llm/b3/manifest.sha256'); // as if the worker died before the last put
    await expect(readBackup(at('b3'))).rejects.toMatchObject({ type: 'BackupNotFound' });
    const again = await writeBackup(at('b3'), { backupId: 'b3', namespace: 'ns', service: 'llm', objects: [], modelDir: models });
    expect(again.files).toEqual(m.files);
    expect((await readBackup(at('b3'))).manifest.backupId).toBe('b3');
  });
});

describe('directory store', () => {
  const store = new DirectoryStore(mkdtempSync(join(tmpdir(), 'dirstore-')));

  it('puts with a checksum, gets, lists, verifies and deletes by key', () => expectBackupStoreContract(store));

  it.each(['../escape', 'a//b', '/abs', 'a/./b'])('refuses the key %s', async (key) => {
    await expect(store.put(key, 'x')).rejects.toThrow(/not a valid backup key/);
  });
});

describe('restore into isolation', () => {
  it('moves every object, detaches routes from their gateways, and fences the namespace', () => {
    const objects: BackedUpObject[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'llm', namespace: 'prod' } },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'llm', namespace: 'prod' },
        spec: { parentRefs: [{ name: 'gw', namespace: 'infra' }], hostnames: ['llm.example.com'] },
      },
    ];
    const out = intoIsolatedNamespace(objects, 'dr-llm-1');
    expect(out.every((o) => o.metadata?.namespace === 'dr-llm-1')).toBe(true);
    expect(out.find((o) => o.kind === 'HTTPRoute')!.spec).toEqual({ parentRefs: [], hostnames: ['llm.example.com'] });
    expect(out[0]).toMatchObject({ kind: 'NetworkPolicy', spec: { policyTypes: ['Ingress'] } });
    expect(objects[1]!.metadata!.namespace).toBe('prod'); // the input is left as it was
  });
});

describe('backups from before objects were stored in wire form', () => {
  it("read a NetworkPolicy's model-form `_from` as `from`, and leave wire-form objects alone", () => {
    const np = (key: string) =>
      ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'llm-ingress', namespace: 'ns' },
        spec: { podSelector: {}, ingress: [{ [key]: [{ namespaceSelector: { matchLabels: { a: 'b' } } }], ports: [{ port: 8000 }] }] },
      }) as unknown as BackedUpObject;
    expect(fromOlderBackup(np('_from'))).toEqual(np('from'));
    expect(fromOlderBackup(np('from'))).toEqual(np('from'));
    expect(intoIsolatedNamespace([np('_from')], 'dr-1')[1]!.spec).toEqual(np('from').spec);
  });
});

describe('drill figures and report', () => {
  const targets = { rtoMs: 300_000, rpoMs: 60_000 };
  it('RPO is the newest change the backup lacks, zero when none', () => {
    expect(drillFigures(42_000, { newestDataAt: '2026-11-23T10:00:00Z' }, '2026-11-23T09:59:00Z', targets)).toEqual({
      rtoMs: 42_000,
      rpoMs: 0,
      targets,
      meetsRto: true,
      meetsRpo: true,
    });
    expect(drillFigures(400_000, { newestDataAt: '2026-11-23T10:00:00Z' }, '2026-11-23T10:01:30Z', targets)).toMatchObject({
      rpoMs: 90_000,
      meetsRto: false,
      meetsRpo: false,
    });
  });

  it('counts a lost change from when the backup read the source, not from the last change it holds', () => {
    // Nothing changed for an hour before the backup at 10:00; a Secret changed 1.5 s after it.
    const backup = { newestDataAt: '2026-11-23T09:00:00Z', observedAt: '2026-11-23T10:00:00.000Z' };
    expect(drillFigures(1, backup, '2026-11-23T10:00:02Z', targets).rpoMs).toBe(2_000);
    expect(drillFigures(1, backup, '2026-11-23T09:00:00Z', targets).rpoMs).toBe(0); // the backup holds it
  });

  it('titles the outcome and lays out the figures', () => {
    const backup = {
      backupId: 'b',
      takenAt: 't',
      newestDataAt: 't',
      objects: 5,
      files: 2,
      bytes: 3 * 2 ** 20,
      durationMs: 1500,
      taken: true,
    };
    const missed = drillReport({
      namespace: 'ns',
      service: 'llm',
      isolatedNamespace: 'dr-llm-x',
      backup,
      figures: drillFigures(400_000, { newestDataAt: '2026-11-23T10:00:00Z' }, '2026-11-23T10:00:00Z', targets),
    });
    expect(missed.title).toBe('DR drill missed its targets: ns/llm');
    expect(missed.body).toContain('| RTO (restore start → serving) | 400.0 s — target 300.0 s ❌ |');
    expect(missed.body).toContain('| Backup size | 5 objects, 2 model files, 3.0 MiB |');
    const failed = drillReport({ namespace: 'ns', service: 'llm', isolatedNamespace: 'dr-llm-x', failure: 'backup is corrupt' });
    expect(failed.title).toBe('DR drill failed: ns/llm');
    expect(failed.body).toContain('**Reason**: backup is corrupt');
  });
});

describe('the example drill spec', () => {
  it("is valid, with the seeds' targets", () => {
    const spec = DrillSpec.parse(
      parseDocument(readFileSync(join(__dirname, '..', '..', 'examples', 'drills', 'autoglm.yaml'), 'utf8')).toJS(),
    );
    expect(spec).toMatchObject({ service: 'autoglm', targets: { rto: 300_000, rpo: 60_000 } });
    expect(spec.backupStore).toEqual({ kind: 's3', bucket: 'autoglm-backups', prefix: 'production' });
  });

  it.each([
    [{ path: '/var/backups' }, { kind: 'directory', path: '/var/backups' }],
    [
      { kind: 's3', bucket: 'b-1.x' },
      { kind: 's3', bucket: 'b-1.x' },
    ],
  ])('reads the backup store %j', (backupStore, parsed) => {
    expect(DrillSpec.parse({ namespace: 'ns', service: 'llm', backupStore }).backupStore).toEqual(parsed);
  });

  it.each([
    { kind: 's3', bucket: 'Upper_Case' },
    { kind: 's3', bucket: 'ok-bucket', prefix: '../up' },
    { kind: 's3' },
    { kind: 'gcs', bucket: 'b' },
  ])('refuses the backup store %j', (backupStore) => {
    expect(() => DrillSpec.parse({ namespace: 'ns', service: 'llm', backupStore })).toThrow();
  });
});
