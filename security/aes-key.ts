/** AES-256 keys as the project takes them: 32 bytes in base64, a current one and previous ones for rotation. */
import { createHash } from 'node:crypto';

export interface AesKey {
  /** A hash prefix: names the key in what it sealed, without revealing it. */
  id: string;
  key: Buffer;
}

export const isAesKeyText = (base64: string) => Buffer.from(base64.trim(), 'base64').length === 32;

export function aesKeyFrom(base64: string): AesKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes, base64-encoded (openssl rand -base64 32)');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

/** The current key first, then the previous ones (comma-separated); blanks are skipped. */
export const aesKeysFrom = (current: string | undefined, previous = ''): AesKey[] =>
  [current, ...previous.split(',')].filter((k): k is string => !!k?.trim()).map(aesKeyFrom);
