/**
 * Secrets stay encrypted in a backup: each Secret's data becomes one AES-256-GCM ciphertext under
 * the backup key (key id in the envelope, so keys can rotate: a restore needs the key that sealed
 * it). The plaintext exists only in the worker's memory.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface BackupKey {
  id: string;
  key: Buffer;
}

export interface SealedData {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** From AUTOGLM_BACKUP_KEY: 32 bytes, base64. Its id is a hash prefix (not secret). */
export function backupKeyFrom(base64: string): BackupKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('the backup key must be 32 bytes, base64-encoded (e.g. openssl rand -base64 32)');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

export function seal(key: BackupKey, data: Record<string, string>, context: string): SealedData {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context)); // bound to the object it came from: no swapping envelopes
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data)), cipher.final()]);
  return { keyId: key.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

export function unseal(keys: readonly BackupKey[], sealed: SealedData, context: string): Record<string, string> {
  const key = keys.find((k) => k.id === sealed.keyId);
  if (!key) throw new Error(`the backup was sealed with key ${sealed.keyId}, which the worker does not have`);
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8')) as Record<string, string>;
}
