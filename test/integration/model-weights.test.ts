import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { modelStoreAt, readWeightsManifest, uploadWeights } from '../../activities/model-store/weights';
import { WEIGHTS_MANIFEST } from '../../core/model-weights';
import { simulatedServer, vllmServeArgs } from '../../infra/dev/model-world/launch';
import { ServeError } from '../../infra/dev/model-world/serving-config';
import type { SimServer } from '../../infra/dev/model-world/sim-server';
import { testStack } from '../support/stack';

// Weights in the stack's SeaweedFS, content-addressed by their manifest, and the simulated vLLM
// streaming them as `vllm serve s3://… --load-format runai_streamer` does, with the pod's own S3
// environment: its answers derive from what it read, so other or partial weights answer otherwise.
describe('model weights on S3', () => {
  const s3 = () => testStack().s3!;
  const bucket = `models-${randomBytes(4).toString('hex')}`;
  const conn = () => ({
    endpoint: s3().endpoint,
    region: s3().region,
    credentials: { accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey },
  });
  const raw = () => new S3Client({ ...conn(), forcePathStyle: true });
  /** The container env a model-server pod has for an S3-compatible server. */
  const podEnv = (over: Record<string, string | undefined> = {}) => ({
    AWS_ENDPOINT_URL: s3().endpoint,
    AWS_ACCESS_KEY_ID: s3().accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3().secretAccessKey,
    AWS_REGION: s3().region,
    RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING: '0',
    SIM_LOAD_BANDWIDTH: '64Mi',
    ...over,
  });
  const servers: SimServer[] = [];
  const serve = async (uri: string, env = podEnv(), ...flags: string[]) => {
    const server = simulatedServer(...vllmServeArgs(uri, '--load-format', 'runai_streamer', ...flags), env);
    servers.push(server);
    const port = await server.listen(0);
    return { server, port: port! };
  };
  const answer = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'What is 17 * 23?', max_tokens: 12, temperature: 0 }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { choices: { text: string }[] }).choices[0]!.text;
  };
  let dir: string;

  beforeAll(async () => {
    await raw().send(new CreateBucketCommand({ Bucket: bucket }));
    dir = mkdtempSync(join(tmpdir(), 'model-'));
    mkdirSync(join(dir, 'tokenizer'));
    writeFileSync(join(dir, 'config.json'), '{"architectures":["LlamaForCausalLM"]}');
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), randomBytes(3 * 1024 * 1024));
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), randomBytes(1024 * 1024));
    writeFileSync(join(dir, 'tokenizer', 'tokenizer.json'), '{"v":1}');
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('uploads a model with a manifest of every file and reads it back checked', async () => {
    const store = modelStoreAt(`s3://${bucket}/llama/v1`, conn());
    const manifest = await uploadWeights(store, dir);
    expect(manifest.files.map((f) => f.path)).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'tokenizer/tokenizer.json',
    ]);
    expect(manifest.files[1]!.size).toBe(3 * 1024 * 1024);
    expect(await readWeightsManifest(store)).toEqual(manifest);
    // The same files elsewhere are the same weights: the digest is of the content, not the place.
    expect((await uploadWeights(modelStoreAt(`s3://${bucket}/copy`, conn()), dir)).digest).toBe(manifest.digest);
  });

  it('streams the weights at its bandwidth and answers by what it read', async () => {
    const { digest } = await readWeightsManifest(modelStoreAt(`s3://${bucket}/llama/v1`, conn()));
    const a = await serve(`s3://${bucket}/llama/v1`);
    expect(a.server.weightsLoaded).toMatchObject({ digest, files: 4 });
    // 4 MiB at 64 MiB/s: at least 62 ms of reading.
    expect(a.server.weightsLoaded!.ms).toBeGreaterThanOrEqual(60);
    const b = await serve(`s3://${bucket}/copy`);
    expect(b.server.weightsLoaded!.digest).toBe(digest);
    expect(await answer(b.port)).toBe(await answer(a.port));

    // One byte changed in a shard: another digest, another answer.
    const shard = readFileSync(join(dir, 'model-00002-of-00002.safetensors'));
    shard[10] = shard[10]! ^ 0x01;
    await raw().send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/model-00002-of-00002.safetensors', Body: shard }));
    const flipped = await serve(`s3://${bucket}/copy`);
    expect(flipped.server.weightsLoaded!.digest).not.toBe(digest);
    expect(await answer(flipped.port)).not.toBe(await answer(a.port));

    // A shard missing: partial weights, another answer too.
    await raw().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/model-00002-of-00002.safetensors' }));
    const partial = await serve(`s3://${bucket}/copy`);
    expect(partial.server.weightsLoaded).toMatchObject({ files: 3 });
    expect(await answer(partial.port)).not.toBe(await answer(a.port));
  });

  it('streams a bigger model no faster than the bandwidth allows', async () => {
    const big = mkdtempSync(join(tmpdir(), 'model-big-'));
    writeFileSync(join(big, 'model.safetensors'), randomBytes(16 * 1024 * 1024));
    await uploadWeights(modelStoreAt(`s3://${bucket}/big`, conn()), big);
    const large = await serve(`s3://${bucket}/big`);
    // The whole 16 MiB read, at 64 MiB/s: at least 250 ms. Only the floor is asserted: above it the
    // time is the machine's (comparing two loads' times failed under a loaded CI run).
    expect(large.server.weightsLoaded).toMatchObject({ files: 1, bytes: 16 * 1024 * 1024 });
    expect(large.server.weightsLoaded!.ms).toBeGreaterThanOrEqual(240);
  });

  it('refuses what vLLM and its streamer refuse, before or while loading', async () => {
    const uri = `s3://${bucket}/llama/v1`;
    const start =
      (env: Record<string, string | undefined>, ...flags: string[]) =>
      () =>
        simulatedServer(...vllmServeArgs(uri, ...flags), env);
    expect(start(podEnv(), '--load-format', 'safetensors')).toThrow(/To load a model from S3, 'load_format' must be 'runai_streamer'/);
    expect(start(podEnv({ RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING: undefined }), '--load-format', 'runai_streamer')).toThrow(
      /RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING=0/,
    );
    expect(start(podEnv({ AWS_ENDPOINT_URL: undefined }))).toThrow(/only from an S3 server on 127\.0\.0\.0\/8/);
    expect(start(podEnv({ AWS_SECRET_ACCESS_KEY: undefined }))).toThrow(/no AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/);
    // With `auto`, vLLM streams an object-store model: the same server as with runai_streamer.
    const auto = simulatedServer(...vllmServeArgs(uri), podEnv());
    servers.push(auto);
    await auto.listen(0);
    expect(auto.weightsLoaded?.files).toBe(4);

    // No weights under the prefix, or keys the server refuses: the load fails, the process would exit 1.
    const empty = simulatedServer(...vllmServeArgs(`s3://${bucket}/nothing-here`), podEnv());
    await expect(empty.listen(0)).rejects.toMatchObject({
      name: 'ServeError',
      exitCode: 1,
      message: expect.stringMatching(/no \*\.safetensors/),
    });
    const wrongKey = simulatedServer(...vllmServeArgs(uri), podEnv({ AWS_SECRET_ACCESS_KEY: 'wrong' }));
    await expect(wrongKey.listen(0)).rejects.toBeInstanceOf(ServeError);
  });

  it('refuses a manifest that is not whole or not of its files', async () => {
    const store = modelStoreAt(`s3://${bucket}/llama/v1`, conn());
    const manifest = await readWeightsManifest(store);
    await raw().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `llama/v1/${WEIGHTS_MANIFEST}`,
        Body: JSON.stringify({ ...manifest, files: manifest.files.slice(1) }),
      }),
    );
    await expect(readWeightsManifest(store)).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/digest is not that of its files/),
    });
    await expect(readWeightsManifest(modelStoreAt(`s3://${bucket}/none`, conn()))).rejects.toMatchObject({
      message: expect.stringMatching(/no autoglm-weights\.json/),
    });
  });
});
