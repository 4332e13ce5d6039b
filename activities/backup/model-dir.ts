/** The model store as a directory the worker reads (the local stack's stand-in for the PVC). */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

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
