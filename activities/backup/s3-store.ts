/**
 * The backup store on S3 (or an S3-compatible server: SeaweedFS, MinIO, Ceph RGW). A key is an
 * object key below the store's prefix. Objects go up in parts when large, each with its SHA-256
 * checksum, which the server checks; a multipart object appears only when complete.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { checkKey, holds, type BackupStore, type ListedObject, type StoredObject } from './store';

/** How the worker reaches S3; credentials come from the SDK's usual chain (env, profile, IRSA, instance role). */
export interface S3Connection {
  /** An S3-compatible server's URL; unset: AWS (or AWS_ENDPOINT_URL_S3). */
  endpoint?: string;
  region?: string;
  /** bucket in the path rather than the host name (S3-compatible servers reached by address). */
  forcePathStyle?: boolean;
  /** From the worker's configuration (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); unset: the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const PART_BYTES = 16 * 1024 * 1024;

const codeOf = (err: unknown) => (err instanceof S3ServiceException ? err.name : (err as { name?: string }).name);
const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export class S3Store implements BackupStore {
  readonly location: string;
  private readonly root: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    prefix = '',
    /** What the bucket is to its users, for messages ("backup store", "model store"). */
    private readonly role = 'backup store',
  ) {
    this.root = prefix === '' ? '' : `${checkKey(prefix.replace(/\/$/, ''))}/`;
    this.location = `s3://${bucket}/${this.root}`;
  }

  static connect(conn: S3Connection, bucket: string, prefix?: string, role?: string): S3Store {
    // The pinned SDK runs on Node 20 (this project's runtime); its notice is about later SDK releases.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const client = new S3Client({
      ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
      region: conn.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: conn.forcePathStyle ?? conn.endpoint !== undefined,
      ...(conn.credentials ? { credentials: conn.credentials } : {}),
    });
    const store = new S3Store(client, bucket, prefix, role);
    store.server = conn.endpoint ?? 'aws';
    return store;
  }

  /** Which server it is on: a server-side copy needs both ends on the same one. */
  private server = '';

  sameServerAs(other: S3Store): boolean {
    return this.server !== '' && this.server === other.server;
  }

  /**
   * Copies `fromKey` of `from` (on the same server) to `key`, server-side: no byte passes the
   * worker. Returns the SHA-256 (hex) the server computed for the copy, when it says.
   */
  async copyIn(key: string, from: S3Store, fromKey: string): Promise<string | undefined> {
    const source = `${from.bucket}/${from.root}${checkKey(fromKey)}`;
    const res = await this.client
      .send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.root + checkKey(key),
          CopySource: source.split('/').map(encodeURIComponent).join('/'),
          ChecksumAlgorithm: 'SHA256',
        }),
      )
      .catch((err: unknown) => {
        throw codeOf(err) === 'NoSuchKey'
          ? new Error(`${from.location}${fromKey} does not exist`)
          : this.failure(err, `copying ${source} to ${key}`);
      });
    // A multipart object's checksum is of its parts ("…-N"): not the object's SHA-256.
    const b64 = res.CopyObjectResult?.ChecksumSHA256;
    const raw = b64 && !b64.includes('-') ? Buffer.from(b64, 'base64') : undefined;
    return raw?.length === 32 ? raw.toString('hex') : undefined;
  }

  /**
   * A server-side copy of an object too large for CopyObject (over 5 GiB): a multipart upload
   * whose parts the server copies from ranges of the source (UploadPartCopy); it appears whole or
   * not at all. Its checksum is the parts', so the caller reads it through to check it.
   */
  async copyInParts(key: string, from: S3Store, fromKey: string, size: number, partSize = 512 * 2 ** 20): Promise<void> {
    const Key = this.root + checkKey(key);
    const source = `${from.bucket}/${from.root}${checkKey(fromKey)}`;
    const CopySource = source.split('/').map(encodeURIComponent).join('/');
    const fail = (what: string) => (err: unknown) => {
      throw codeOf(err) === 'NoSuchKey' ? new Error(`${from.location}${fromKey} does not exist`) : this.failure(err, what);
    };
    const { UploadId } = await this.client
      .send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }))
      .catch(fail(`starting a copy of ${source} to ${key}`));
    try {
      const Parts: { PartNumber: number; ETag: string }[] = [];
      for (let start = 0, PartNumber = 1; start < size; start += partSize, PartNumber++) {
        const range = `bytes=${start}-${Math.min(size, start + partSize) - 1}`;
        const r = await this.client
          .send(new UploadPartCopyCommand({ Bucket: this.bucket, Key, UploadId, PartNumber, CopySource, CopySourceRange: range }))
          .catch(fail(`copying ${range} of ${source}`));
        Parts.push({ PartNumber, ETag: r.CopyPartResult!.ETag! });
      }
      await this.client
        .send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts } }))
        .catch(fail(`completing the copy of ${source}`));
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  /** What retrying cannot fix (no bucket, refused credentials) fails at once, naming the bucket. */
  private failure(err: unknown, what: string): Error {
    const code = codeOf(err);
    const status = statusOf(err);
    if (code === 'NoSuchBucket' || (code === 'NotFound' && what === 'bucket'))
      return ApplicationFailure.nonRetryable(
        `${this.role} ${this.location}: bucket "${this.bucket}" does not exist`,
        ErrorType.InvalidConfig,
      );
    if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(code ?? '') || status === 403)
      return ApplicationFailure.nonRetryable(
        `${this.role} ${this.location}: the credentials are refused for bucket "${this.bucket}" (${code && code !== 'Unknown' ? code : `HTTP ${status}`})`,
        ErrorType.InvalidConfig,
      );
    return new Error(`${this.role} ${this.location}: ${what}: ${code ?? ''} ${(err as Error).message}`.replace(/\s+/g, ' '));
  }

  /** Fails clearly when the bucket is missing or the credentials are refused, before anything is written. */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).catch((err: unknown) => {
      throw this.failure(err, 'bucket');
    });
  }

  async put(key: string, body: Readable | Buffer | string): Promise<StoredObject> {
    const hash = createHash('sha256');
    let size = 0;
    const counted = new PassThrough();
    counted.on('data', (c: Buffer) => {
      hash.update(c);
      size += c.length;
    });
    const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    source.on('error', (err) => counted.destroy(err));
    source.pipe(counted);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.root + checkKey(key), Body: counted, ChecksumAlgorithm: 'SHA256' },
      partSize: PART_BYTES,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await upload.done().catch((err: unknown) => {
      throw this.failure(err, `writing ${key}`);
    });
    return { key, size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.root + checkKey(key) }));
      return res.Body as Readable;
    } catch (err) {
      const missingKey = codeOf(err) === 'NoSuchKey' || (statusOf(err) === 404 && codeOf(err) !== 'NoSuchBucket');
      if (missingKey) return undefined;
      throw this.failure(err, `reading ${key}`);
    }
  }

  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.root + prefix, ContinuationToken: token }))
        .catch((err: unknown) => {
          throw this.failure(err, `listing ${prefix}`);
        });
      for (const o of page.Contents ?? [])
        if (o.Key) out.push({ key: o.Key.slice(this.root.length), size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  verify(key: string, sha256: string): Promise<boolean> {
    return holds(this, key, sha256);
  }

  async delete(prefix: string): Promise<void> {
    const keys = (await this.list(prefix)).map((o) => this.root + o.key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.client
        .send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
        .catch((err: unknown) => {
          throw this.failure(err, `deleting ${prefix}`);
        });
      const [failed] = res.Errors ?? [];
      if (failed) throw new Error(`${this.role} ${this.location}: deleting ${failed.Key}: ${failed.Code} ${failed.Message}`);
    }
  }
}
