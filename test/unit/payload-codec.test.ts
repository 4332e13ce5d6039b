import { defaultPayloadConverter } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { aesKeyFrom } from '../../security/aes-key';
import { AesGcmPayloadCodec, ENCODING, payloadDataConverter } from '../../security/payload-codec';

const key = () => aesKeyFrom(randomBytes(32).toString('base64'));

describe('AES-GCM payload codec', () => {
  const k1 = key();
  const k2 = key();
  const payload = defaultPayloadConverter.toPayload({ token: 'ghs_secret_value', n: 1 });

  it('seals payloads whole (metadata too) and opens them again', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [sealed] = await codec.encode([payload]);
    expect(Buffer.from(sealed!.metadata!.encoding!).toString()).toBe(ENCODING);
    expect(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString()).toBe(k1.id);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toMatch(/ghs_secret_value|json\/plain/);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ token: 'ghs_secret_value', n: 1 });
  });

  it('passes unsealed payloads through (histories from before the codec)', async () => {
    expect(await new AesGcmPayloadCodec([k1]).decode([payload])).toEqual([payload]);
  });

  it('rotates: new payloads under the current key, old ones opened by the previous', async () => {
    const [old] = await new AesGcmPayloadCodec([k1]).encode([payload]);
    const rotated = new AesGcmPayloadCodec([k2, k1]);
    const [fresh] = await rotated.encode([payload]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe(k2.id);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual({ token: 'ghs_secret_value', n: 1 });
    await expect(new AesGcmPayloadCodec([k2]).decode([old!])).rejects.toThrow(/sealed with key .* which this process does not have/);
  });

  it('refuses a tampered payload', async () => {
    const [sealed] = await new AesGcmPayloadCodec([k1]).encode([payload]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(new AesGcmPayloadCodec([k1]).decode([{ ...sealed!, data }])).rejects.toThrow();
  });

  it('is configured from the key settings, or not at all', () => {
    expect(payloadDataConverter(undefined, '')).toBeUndefined();
    expect(payloadDataConverter(randomBytes(32).toString('base64'), ` ${randomBytes(32).toString('base64')} `)?.payloadCodecs).toHaveLength(
      1,
    );
    expect(() => payloadDataConverter('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
