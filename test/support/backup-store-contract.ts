import type { BackupStore } from '../../activities/backup/store';

const text = async (body: NodeJS.ReadableStream | undefined) => {
  let out = '';
  for await (const c of body!) out += (c as Buffer).toString();
  return out;
};

/** What every backup store does, checked the same way for each (an empty store). */
export async function expectBackupStoreContract(store: BackupStore): Promise<void> {
  // Listed with when each object was written (retention's grace for weight blobs reads it).
  const listed = async (prefix: string) =>
    (await store.list(prefix)).map(({ key, size, modifiedMs }) => {
      expect(Math.abs(Date.now() - modifiedMs)).toBeLessThan(60_000);
      return { key, size };
    });
  await store.check();
  const put = await store.put('a/b/c.txt', 'hello');
  expect(put).toEqual({ key: 'a/b/c.txt', size: 5, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });
  expect(await text(await store.get('a/b/c.txt'))).toBe('hello');
  expect(await store.get('a/none')).toBeUndefined();
  await store.put('a/d.txt', Buffer.from('x'));
  expect(await listed('a/')).toEqual([
    { key: 'a/b/c.txt', size: 5 },
    { key: 'a/d.txt', size: 1 },
  ]);
  expect(await store.verify('a/b/c.txt', put.sha256)).toBe(true);
  expect(await store.verify('a/d.txt', put.sha256)).toBe(false);
  expect(await store.verify('a/none', put.sha256)).toBe(false);
  await store.delete('a/b/');
  expect(await listed('a/')).toEqual([{ key: 'a/d.txt', size: 1 }]);
  await store.delete('nothing/here/');
  await expect(store.put('../escape', 'x')).rejects.toThrow(/not a valid backup key/);
}
