import { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kube } from '../../activities/kubernetes/client';
import { s3StreamingEnv } from '../../core/model-weights';
import type { ServiceSpecInput } from '../../core/service-spec';
import { testStack } from './stack';

/** The stack's SeaweedFS as the S3 clients of the project and of the tests reach it. */
export const s3Connection = () => {
  const s3 = testStack().s3!;
  return { endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
};
export const s3Admin = () => new S3Client({ ...s3Connection(), forcePathStyle: true });

/** A model folder: config.json naming `seed`, and random safetensors of the sizes given (MiB). */
export function modelDir(seed: string, safetensorsMiB: number[] = [1]): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['GlmForCausalLM'], seed }));
  safetensorsMiB.forEach((mib, i, all) =>
    writeFileSync(
      join(dir, `model-${String(i + 1).padStart(5, '0')}-of-${String(all.length).padStart(5, '0')}.safetensors`),
      randomBytes(mib * 2 ** 20),
    ),
  );
  return dir;
}

const SECRET = 'llm-s3';

/** The Secret the pods of `s3Service` take their S3 keys from. */
export const createS3Secret = (kube: Kube, namespace: string) =>
  kube.core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: SECRET, labels: { 'app.kubernetes.io/name': 'llm' } },
      stringData: { 'access-key-id': testStack().s3!.accessKeyId, 'secret-access-key': testStack().s3!.secretAccessKey },
    },
  });

/** Service `llm` (one replica, one l4 GPU) serving `model` streamed from `source` on the stack's S3. */
export function s3Service(namespace: string, model: string, source: string, env: Record<string, string> = {}): ServiceSpecInput {
  const s3 = testStack().s3!;
  return {
    service: 'llm',
    namespace,
    version: 'v1',
    image: `registry.local/m@sha256:${createHash('sha256').update(model).digest('hex')}`,
    model: { name: model, source: { uri: source } },
    gpu: { pool: 'l4', perReplica: 1 },
    replicas: 1,
    container: {
      env: {
        ...s3StreamingEnv(s3.endpoint, s3.region, { secret: SECRET, accessKeyId: 'access-key-id', secretAccessKey: 'secret-access-key' }),
        ...env,
      },
    },
    rollout: { steps: [{ weight: 50 }] },
  };
}
