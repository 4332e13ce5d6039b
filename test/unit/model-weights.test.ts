import { WeightsManifest, digestInput, parseS3Uri, s3Uri } from '../../core/model-weights';
import { bandwidthOf } from '../../infra/dev/model-world/weights-loader';

const sha = (c: string) => c.repeat(64);

describe('model weights in object storage', () => {
  it.each([
    ['s3://models/llama/v1', { bucket: 'models', prefix: 'llama/v1/' }],
    ['s3://models/llama/v1/', { bucket: 'models', prefix: 'llama/v1/' }],
    ['s3://models', { bucket: 'models', prefix: '' }],
    ['s3://models/', { bucket: 'models', prefix: '' }],
    ['s3://Models/x', undefined],
    ['gs://models/x', undefined],
    ['/mnt/models', undefined],
  ])('reads %s as %j', (uri, expected) => {
    expect(parseS3Uri(uri)).toEqual(expected);
    if (expected) expect(s3Uri(expected)).toBe(uri.replace(/\/$/, ''));
  });

  it('digests the listing in path order, whatever order the files come in', () => {
    const a = { path: 'a.safetensors', size: 3, sha256: sha('a') };
    const b = { path: 'b/config.json', size: 1, sha256: sha('b') };
    expect(digestInput([b, a])).toBe(digestInput([a, b]));
    expect(digestInput([a, b])).toBe(`${sha('a')} 3 a.safetensors\n${sha('b')} 1 b/config.json\n`);
    // Any change in a file's content, size or name changes what is digested.
    expect(digestInput([a, { ...b, size: 2 }])).not.toBe(digestInput([a, b]));
    expect(digestInput([a, { ...b, path: 'b/config2.json' }])).not.toBe(digestInput([a, b]));
    expect(digestInput([a])).not.toBe(digestInput([a, b]));
  });

  it.each([
    [{ format: 1, files: [{ path: 'm.safetensors', size: 1, sha256: sha('c') }], digest: sha('d') }, true],
    [{ format: 1, files: [], digest: sha('d') }, false],
    [{ format: 1, files: [{ path: '../escape', size: 1, sha256: sha('c') }], digest: sha('d') }, false],
    [{ format: 1, files: [{ path: 'm', size: 1, sha256: 'short' }], digest: sha('d') }, false],
    [{ format: 2, files: [{ path: 'm', size: 1, sha256: sha('c') }], digest: sha('d') }, false],
  ])('manifest case %# is valid: %s', (m, ok) => {
    expect(WeightsManifest.safeParse(m).success).toBe(ok);
  });

  it.each([
    [undefined, 1024 ** 3],
    ['256Mi', 256 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['1000', 1000],
    ['64MiB', 64 * 1024 ** 2],
  ])('SIM_LOAD_BANDWIDTH=%s is %d B/s', (v, bytes) => {
    expect(bandwidthOf(v)).toBe(bytes);
  });

  it.each(['fast', '0', '-1Mi'])('refuses SIM_LOAD_BANDWIDTH=%s', (v) => {
    expect(() => bandwidthOf(v)).toThrow(/bytes per second/);
  });
});
