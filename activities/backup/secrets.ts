/**
 * Secrets stay encrypted in a backup: each Secret's data becomes one AES-256-GCM ciphertext under
 * the backup key (key id in the envelope, so keys can rotate: a restore needs the key that sealed
 * it). The plaintext exists only in the worker's memory.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AesKey } from '../../security/aes-key';

export type BackupKey = AesKey;

export interface SealedData {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export function seal(key: BackupKey, data: Record<string, string>, context: string): SealedData {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context)); // bound to the object it came from: no swapping envelopes
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data)), cipher.final()]);
  return {
    keyId: key.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

export function unseal(keys: readonly BackupKey[], sealed: SealedData, context: string): Record<string, string> {
  const key = keys.find((k) => k.id === sealed.keyId);
  if (!key) throw new Error(`the backup was sealed with key ${sealed.keyId}, which the worker does not have`);
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(
    Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8'),
  ) as Record<string, string>;
}
