/**
 * Workflow history encrypted at rest in Temporal: every payload (inputs, results, memos, query
 * and update values, heartbeat details) is sealed with AES-256-GCM by the client and the worker before it leaves the
 * process, following Temporal's encryption sample: the whole payload (metadata and data) is the
 * plaintext, the key id travels in the sealed payload's metadata so keys can rotate (new
 * payloads under the current key, old ones opened by the previous keys). Payloads that are not
 * sealed (histories from before the codec) pass through unchanged.
 */
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { aesKeysFrom, type AesKey } from './aes-key';

export const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

export type PayloadKey = AesKey;

export class AesGcmPayloadCodec implements PayloadCodec {
  /** `keys[0]` seals; all of them open. */
  constructor(private readonly keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs a key');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([
        iv,
        cipher.update(temporal.api.common.v1.Payload.encode(p).finish()),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCODING) return p;
      const id = Buffer.from(p.metadata?.[KEY_ID] ?? []).toString();
      const k = this.keys.find((x) => x.id === id);
      if (!k) throw new Error(`payload sealed with key ${id}, which this process does not have (set AUTOGLM_PAYLOAD_PREVIOUS_KEYS)`);
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', k.key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/**
 * The data converter of every client and worker of the project: with a key, payloads are sealed;
 * without, Temporal's defaults. Failure messages stay readable (they carry reasons, never
 * secrets, and the UI and `temporal` CLI show them). `current` and `previous` (comma-separated) are AUTOGLM_PAYLOAD_KEY and
 * AUTOGLM_PAYLOAD_PREVIOUS_KEYS.
 */
export function payloadDataConverter(current: string | undefined, previous = ''): DataConverter | undefined {
  const keys = aesKeysFrom(current, previous);
  if (keys.length === 0) return undefined;
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/** The same, from the process environment (clients: CLI, webhook receiver). */
export const dataConverterFromEnv = (env: NodeJS.ProcessEnv = process.env) =>
  payloadDataConverter(env.AUTOGLM_PAYLOAD_KEY, env.AUTOGLM_PAYLOAD_PREVIOUS_KEYS);
