import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readBackup, restoreFiles, writeBackup, type BackupRef } from '../../activities/backup/archive';
import { S3Store, type S3Connection } from '../../activities/backup/s3-store';
import { expectBackupStoreContract } from '../support/backup-store-contract';
import { testStack } from '../support/stack';
import { modelDir } from '../support/s3-model';
import { uploadWeights } from '../../activities/model-store/weights';
import { backUpWeights, blobKey } from '../../activities/backup/weights-copy';

// The backup store on the stack's SeaweedFS, through its S3 gateway: the same contract as the
// directory store, multipart uploads with SHA-256 checksums, and clear failures for what a retry
// cannot fix.
describe('S3 backup store on SeaweedFS', () => {
  const s3 = () => testStack().s3!;
  const conn = (over: Partial<S3Connection> = {}): S3Connection => ({
    endpoint: s3().endpoint,
    region: s3().region,
    credentials: { accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey },
    ...over,
  });
  const bucket = `it-${randomBytes(4).toString('hex')}`;
  let store: S3Store;

  beforeAll(async () => {
    const admin = new S3Client({ endpoint: s3().endpoint, region: s3().region, forcePathStyle: true, credentials: conn().credentials! });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    store = S3Store.connect(conn(), bucket, 'backups');
  });

  it('puts with a checksum, gets, lists, verifies and deletes by key', async () => {
    await expectBackupStoreContract(store);
    expect(store.location).toBe(`s3://${bucket}/backups/`);
  });

  it('uploads a large object in parts, whole and with its checksum', async () => {
    const big = randomBytes(40 * 1024 * 1024 + 123);
    const put = await store.put('big/weights.bin', big);
    expect(put).toEqual({ key: 'big/weights.bin', size: big.length, sha256: createHash('sha256').update(big).digest('hex') });
    expect(await store.list('big/')).toEqual([{ key: 'big/weights.bin', size: big.length, modifiedMs: expect.any(Number) }]);
    expect(await store.verify('big/weights.bin', put.sha256)).toBe(true);
  });

  it('copies an object server-side in parts (UploadPartCopy, as for weights over 5 GiB), whole', async () => {
    const big = randomBytes(12 * 1024 * 1024 + 7);
    const put = await store.put('parts/source.bin', big);
    const other = S3Store.connect(conn(), bucket, 'copies');
    await other.copyInParts('parts/copy.bin', store, 'parts/source.bin', big.length, 5 * 1024 * 1024);
    expect(await other.verify('parts/copy.bin', put.sha256)).toBe(true);
    expect((await other.list('parts/')).map((o) => o.size)).toEqual([big.length]);
    await expect(other.copyInParts('parts/none.bin', store, 'parts/missing.bin', 10, 5)).rejects.toThrow(
      /parts\/missing\.bin does not exist/,
    );
    expect(await other.list('parts/')).toHaveLength(1); // nothing half-copied
    // Weights past the single-copy limit go this way, checked against their manifest.
    const model = S3Store.connect(conn(), bucket, 'model');
    const manifest = await uploadWeights(model, modelDir('parts', [12]));
    const figures = await backUpWeights(other, model, manifest, () => undefined, { singleCopyMax: 2 ** 20, partSize: 5 * 2 ** 20 });
    expect(figures).toMatchObject({ copied: 2, reused: 0 });
    for (const f of manifest.files) expect(await other.verify(blobKey(f.sha256), f.sha256)).toBe(true);
  });

  it('holds a whole backup and names a flipped byte in it', async () => {
    const models = mkdtempSync(join(tmpdir(), 'models-'));
    mkdirSync(join(models, 'tokenizer'));
    writeFileSync(join(models, 'weights.bin'), randomBytes(256 * 1024));
    writeFileSync(join(models, 'tokenizer', 'vocab.json'), '{"a":1}');
    const at: BackupRef = { store, prefix: 'ns/llm/b1/' };
    const m = await writeBackup(at, { backupId: 'b1', namespace: 'ns', service: 'llm', objects: [{ kind: 'Service' }], modelDir: models });
    const { manifest, objects } = await readBackup(at);
    expect(objects).toEqual([{ kind: 'Service' }]);
    const target = mkdtempSync(join(tmpdir(), 'restored-'));
    expect(await restoreFiles(at, manifest, target)).toEqual({ files: 2, bytes: 256 * 1024 + 7 });
    expect(readFileSync(join(target, 'weights.bin'))).toEqual(readFileSync(join(models, 'weights.bin')));

    // Someone rewrites a weight object in the bucket with one byte changed.
    const flipped = readFileSync(join(models, 'weights.bin'));
    flipped[1000] = flipped[1000]! ^ 0xff;
    const raw = new S3Client({ endpoint: s3().endpoint, region: s3().region, forcePathStyle: true, credentials: conn().credentials! });
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/ns/llm/b1/model/weights.bin', Body: flipped }));
    await expect(restoreFiles(at, m, mkdtempSync(join(tmpdir(), 'r2-')))).rejects.toThrow(/model file weights.bin: checksum/);
  });

  it('a missing bucket or refused credentials fail at once, not retryable, naming the bucket', async () => {
    const missing = S3Store.connect(conn(), `${bucket}-none`);
    await expect(missing.check()).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(new RegExp(`bucket "${bucket}-none" does not exist`)),
    });
    await expect(missing.put('k', 'x')).rejects.toMatchObject({ nonRetryable: true });
    const wrongKeys = S3Store.connect(conn({ credentials: { accessKeyId: s3().accessKeyId, secretAccessKey: 'wrong' } }), bucket);
    await expect(wrongKeys.check()).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(new RegExp(`credentials are refused for bucket "${bucket}"`)),
    });
    await expect(wrongKeys.list('')).rejects.toMatchObject({ nonRetryable: true });
  });
});
