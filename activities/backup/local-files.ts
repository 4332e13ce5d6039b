/** Local files: the model store as a directory the worker reads (the local stack's stand-in for the PVC), and writing files hashed. */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

/** The newest modification among the files of a directory (the model store's last change). */
export async function newestFileChange(dir: string): Promise<number> {
  let newest = 0;
  for (const rel of await listFiles(dir)) newest = Math.max(newest, (await stat(join(dir, rel))).mtimeMs);
  return newest;
}

/** Hashes a stream as it passes through to `to`; returns the checksum and size. */
export async function writeHashing(body: Readable | Buffer | string, to: string): Promise<{ sha256: string; size: number }> {
  await mkdir(dirname(to), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
  source.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  await pipeline(source, createWriteStream(to));
  return { sha256: hash.digest('hex'), size };
}
