import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryStore } from '../../activities/backup/directory-store';
import { writeBackup } from '../../activities/backup/archive';
import { listBackups, prune, VERIFIED_MARK } from '../../activities/backup/retention';
import { collectWeights } from '../../activities/backup/weights-gc';
import { PARTIAL_GRACE_MS, RetentionSpec, retentionDecision, timeOfBackupId, type StoredBackup } from '../../core/drill/retention';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const DAY = 86_400_000;
const b = (backupId: string, daysAgo: number, o: Partial<StoredBackup> = {}): StoredBackup => ({
  backupId,
  takenAt: NOW - daysAgo * DAY,
  complete: true,
  verified: false,
  ...o,
});
const removed = (backups: StoredBackup[], policy: RetentionSpec) =>
  retentionDecision(backups, policy, NOW)
    .remove.map((r) => r.backupId)
    .sort();

describe('backup retention', () => {
  const five = [b('a', 0), b('b', 1), b('c', 2), b('d', 10), b('e', 40)];

  it.each<[string, StoredBackup[], RetentionSpec, string[]]>([
    ['keepLast 2 keeps the newest two', five, { keepLast: 2 }, ['c', 'd', 'e']],
    ['keepDays 7 keeps a week', five, { keepDays: 7 }, ['d', 'e']],
    ['keepLast 4 with keepDays 1.5: a backup either keeps stays', five, { keepLast: 4, keepDays: 1.5 }, ['e']],
    ['keepLast 1 with keepDays 30', five, { keepLast: 1, keepDays: 30 }, ['e']],
    ['the newest verified backup stays, however old', [b('a', 0), b('b', 1), b('old', 90, { verified: true })], { keepLast: 1 }, ['b']],
    [
      'only the newest of several verified backups stays for that',
      [b('a', 0), b('v1', 5, { verified: true }), b('v0', 9, { verified: true })],
      { keepLast: 1 },
      ['v0'],
    ],
    ['an incomplete backup past the grace is removed', [b('a', 0), b('stuck', 1, { complete: false })], { keepLast: 5 }, ['stuck']],
    [
      'an incomplete backup that may still be written stays',
      [b('a', 0), b('now', PARTIAL_GRACE_MS / DAY / 2, { complete: false })],
      { keepLast: 5 },
      [],
    ],
    [
      'an incomplete backup without a known age stays',
      [b('a', 0), { backupId: 'x', complete: false, verified: false }],
      { keepLast: 1 },
      [],
    ],
    ['keepDays keeps a backup whose age is unknown', [b('a', 0), { backupId: 'x', complete: true, verified: false }], { keepDays: 1 }, []],
  ])('%s', (_what, backups, policy, expected) => {
    expect(removed(backups, policy)).toEqual(expected);
  });

  it('gives a reason for each backup', () => {
    const d = retentionDecision([b('a', 0), b('old', 90, { verified: true }), b('b', 3)], { keepLast: 1 }, NOW);
    expect(d.keep).toEqual([
      { backupId: 'a', why: 'one of the last 1' },
      { backupId: 'old', why: 'the newest verified backup' },
    ]);
    expect(d.remove).toEqual([{ backupId: 'b', why: 'outside the retention policy' }]);
  });

  it.each([
    [{}, false],
    [{ keepLast: 0 }, false],
    [{ keepLast: 3 }, true],
    [{ keepDays: 0.5 }, true],
  ])('policy %j valid: %s', (p, ok) => {
    expect(RetentionSpec.safeParse(p).success).toBe(ok);
  });

  it('reads the time of a drill backup id', () => {
    expect(timeOfBackupId('20261202T225500Z-1a2b3c4d')).toBe(Date.UTC(2026, 11, 2, 22, 55, 0));
    expect(timeOfBackupId('before-upgrade')).toBeUndefined();
  });

  it('prunes a store: the checksum first, never a backup of another service', async () => {
    const store = new DirectoryStore(mkdtempSync(join(tmpdir(), 'retention-')));
    const put = (svc: string, id: string, whole: boolean, verified = false) =>
      Promise.all([
        store.put(`ns/${svc}/${id}/objects.json`, '[]'),
        store.put(`ns/${svc}/${id}/manifest.json`, JSON.stringify({ takenAt: '2026-11-01T00:00:00Z' })),
        ...(whole ? [store.put(`ns/${svc}/${id}/manifest.sha256`, 'x\n')] : []),
        ...(verified ? [store.put(`ns/${svc}/${id}/${VERIFIED_MARK}`, '{}')] : []),
      ]);
    await put('llm', '20261202T110000Z-aaaa', true);
    await put('llm', '20261201T110000Z-bbbb', true);
    await put('llm', '20261120T110000Z-cccc', true, true);
    await put('llm', 'named', true); // no time in its id: read from its manifest (2026-11-01)
    await put('llm', '20261125T110000Z-part', false);
    await put('llm2', '20261101T110000Z-other', true);
    expect((await listBackups(store, 'ns/llm/')).find((x) => x.backupId === 'named')).toMatchObject({
      takenAt: Date.parse('2026-11-01T00:00:00Z'),
      complete: true,
    });
    const d = await prune(store, 'ns/llm/', { keepLast: 1 }, NOW);
    expect(d.remove.map((r) => r.backupId).sort()).toEqual(['20261125T110000Z-part', '20261201T110000Z-bbbb', 'named']);
    const left = new Set((await store.list('ns/')).map((o) => o.key.split('/').slice(0, 3).join('/')));
    expect([...left].sort()).toEqual(['ns/llm/20261120T110000Z-cccc', 'ns/llm/20261202T110000Z-aaaa', 'ns/llm2/20261101T110000Z-other']);
  });

  describe('weight blobs no backup names', () => {
    const sha = (c: string) => c.repeat(64);
    const weights = (...shas: string[]) => ({
      source: 's3://m/glm',
      digest: 'd',
      files: shas.map((x, i) => ({ path: `f${i}.safetensors`, size: 1, sha256: x })),
    });
    const setUp = async () => {
      const store = new DirectoryStore(mkdtempSync(join(tmpdir(), 'weights-gc-')));
      for (const c of ['a', 'b', 'c', 'd']) await store.put(`weights/sha256/${sha(c)}`, c);
      const backup = (ns: string, svc: string, id: string, w: ReturnType<typeof weights>) =>
        writeBackup({ store, prefix: `${ns}/${svc}/${id}/` }, { backupId: id, namespace: ns, service: svc, objects: [], weights: w });
      await backup('ns', 'llm', 'one', weights(sha('a'), sha('b')));
      await backup('other', 'svc', 'two', weights(sha('b'), sha('c')));
      return store;
    };
    const blobs = async (store: DirectoryStore) => (await store.list('weights/sha256/')).map((o) => o.key.slice(-64, -63)).sort();

    it('removes those of no whole backup of any service, once older than the grace', async () => {
      const store = await setUp();
      expect(await collectWeights(store)).toEqual({ removed: 0, bytesFreed: 0 }); // just written: a backup may be copying them
      expect(await collectWeights(store, Date.now() + PARTIAL_GRACE_MS + 60_000)).toEqual({ removed: 1, bytesFreed: 1 });
      expect(await blobs(store)).toEqual(['a', 'b', 'c']);
      await store.delete('other/svc/two/manifest.sha256'); // retention removing it: no longer whole
      await collectWeights(store, Date.now() + PARTIAL_GRACE_MS + 60_000);
      expect(await blobs(store)).toEqual(['a', 'b']);
    });

    it('removes nothing while a manifest cannot be read', async () => {
      const store = await setUp();
      await store.put('ns/llm/one/manifest.json', '{"changed": true}');
      const r = await collectWeights(store, Date.now() + PARTIAL_GRACE_MS + 60_000);
      expect(r).toMatchObject({ removed: 0, skipped: expect.stringMatching(/ns\/llm\/one\/.*does not match/) });
      expect(await blobs(store)).toEqual(['a', 'b', 'c', 'd']);
    });
  });
});
