/**
 * The backup store on a directory the worker can write (a mounted volume): a key is a path below
 * the root. Each object is written under a temporary name and renamed when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { writeHashing } from './local-files';
import { checkKey, type BackupStore, type StoredObject } from './store';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class DirectoryStore implements BackupStore {
  constructor(readonly location: string) {}

  private path(key: string): string {
    return join(this.location, checkKey(key));
  }

  async put(key: string, body: Readable | Buffer | string): Promise<StoredObject> {
    const target = this.path(key);
    const tmp = `${target}.partial-${randomBytes(4).toString('hex')}`;
    try {
      const written = await writeHashing(body, tmp);
      await rename(tmp, target);
      return { key, ...written };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.path(key);
    try {
      if (!(await stat(path)).isFile()) return undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    return createReadStream(path);
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const dir = join(this.location, prefix);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, recursive: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: { key: string; size: number }[] = [];
    for (const e of entries) {
      if (!e.isFile() || e.name.includes('.partial-')) continue;
      const path = join(e.parentPath, e.name);
      out.push({ key: relative(this.location, path).split('\\').join('/'), size: (await stat(path)).size });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async verify(key: string, sha256: string): Promise<boolean> {
    const body = await this.get(key);
    if (!body) return false;
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    return hash.digest('hex') === sha256;
  }

  async delete(prefix: string): Promise<void> {
    await rm(join(this.location, checkKey(prefix.replace(/\/$/, ''))), { recursive: true, force: true });
  }
}
