/**
 * The backup store on a directory the worker can write (a mounted volume): a key is a path below
 * the root. Each object is written under a temporary name and renamed when complete.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { writeHashing } from './local-files';
import { checkKey, holds, type BackupStore, type ListedObject, type StoredObject } from './store';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class DirectoryStore implements BackupStore {
  constructor(readonly location: string) {}

  async check(): Promise<void> {
    await mkdir(this.location, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw ApplicationFailure.nonRetryable(`backup store ${this.location}: ${err.code ?? err.message}`, ErrorType.InvalidConfig);
    });
  }

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

  async list(prefix: string): Promise<ListedObject[]> {
    const dir = join(this.location, prefix);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, recursive: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: ListedObject[] = [];
    for (const e of entries) {
      if (!e.isFile() || e.name.includes('.partial-')) continue;
      const path = join(e.parentPath, e.name);
      const st = await stat(path);
      out.push({ key: relative(this.location, path).split('\\').join('/'), size: st.size, modifiedMs: st.mtimeMs });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  verify(key: string, sha256: string): Promise<boolean> {
    return holds(this, key, sha256);
  }

  async delete(prefix: string): Promise<void> {
    await rm(join(this.location, checkKey(prefix.replace(/\/$/, ''))), { recursive: true, force: true });
  }
}
