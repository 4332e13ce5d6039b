import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishImage, type PublishedImage } from '../../infra/dev/image/publish';
import { CommandError, run } from '../../infra/dev/stack/exec';
import { bin } from '../../infra/dev/stack/paths';
import { testStack } from '../support/stack';

const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json'].join(', ');

const cosignVerify = (publicKey: string, reference: string) =>
  run(bin('cosign'), ['verify', '--key', publicKey, '--insecure-ignore-tlog=true', reference], { timeoutMs: 60_000 });

describe('OCI registry with cosign signatures', () => {
  let image: PublishedImage;
  beforeAll(async () => {
    image = await publishImage(testStack(), { repository: 'it/model-server', tag: `t${Date.now()}`, sign: ['legacy', 'bundle'] });
  });

  it('serves the pushed image by digest, and the content matches the digest', async () => {
    const { url } = testStack().registry;
    const res = await fetch(`${url}/v2/it/model-server/manifests/${image.digest}`, { headers: { Accept: MANIFEST_TYPES } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    const body = Buffer.from(await res.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(body).digest('hex')}`).toBe(image.digest);
  });

  it('stores both cosign formats: the .sig tag and the bundle under the referrers tag', async () => {
    const tags = (await run(bin('crane'), ['ls', `${testStack().registry.host}/it/model-server`])).split('\n');
    const hex = image.digest.replace('sha256:', '');
    expect(tags).toEqual(expect.arrayContaining([`sha256-${hex}.sig`, `sha256-${hex}`]));
  });

  it('passes `cosign verify --key` with the signing key', async () => {
    const out = await cosignVerify(image.publicKeyPath, image.reference);
    expect(out).toContain(image.digest);
  });

  it('fails `cosign verify` with another key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'other-key-'));
    await run(bin('cosign'), ['generate-key-pair', '--output-key-prefix', join(dir, 'other')], { env: { COSIGN_PASSWORD: 'x' } });
    const err = await cosignVerify(join(dir, 'other.pub'), image.reference).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).output).toMatch(/signature|no matching/i);
  });
});
