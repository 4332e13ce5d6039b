/**
 * Where backups are kept: objects by key ("<namespace>/<service>/<backupId>/objects.json"), each
 * written whole or not at all and hashed (SHA-256) on the way in. One implementation per kind of
 * store; the backup format on top (archive.ts) knows only this interface.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

export interface ListedObject {
  key: string;
  size: number;
  modifiedMs: number;
}

export interface BackupStore {
  /** Where it is, for messages (a directory, a bucket URL). */
  readonly location: string;
  /** Fails, not retryable, when the store cannot be used as configured (no bucket, keys refused), before anything is written. */
  check(): Promise<void>;
  /** Writes `body` under `key`, replacing what was there; a reader sees the old object or the whole new one. */
  put(key: string, body: Readable | Buffer | string): Promise<StoredObject>;
  /** The object under `key`, or undefined when there is none. */
  get(key: string): Promise<Readable | undefined>;
  /** The keys under `prefix` (a "folder", ending in "/"), sorted, with their sizes and when they were written (epoch ms). */
  list(prefix: string): Promise<ListedObject[]>;
  /** Whether `key` holds exactly `sha256` (read through and hashed): false when it differs or is missing. */
  verify(key: string, sha256: string): Promise<boolean>;
  /** Removes every object under `prefix`; nothing there is not an error. */
  delete(prefix: string): Promise<void>;
}

/** A key's segments must stay inside the store: no empty, "." or ".." segments. */
export function checkKey(key: string): string {
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`not a valid backup key: ${JSON.stringify(key)}`);
  return key;
}

/** Whether the store's object under `key` hashes to `sha256` (read through): false when it differs or is missing. */
export async function holds(store: Pick<BackupStore, 'get'>, key: string, sha256: string): Promise<boolean> {
  const body = await store.get(key);
  if (!body) return false;
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex') === sha256;
}
