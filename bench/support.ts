import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { workerWithClient } from '../worker/in-process';
import { Runtime } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { connectKube } from '../activities/kubernetes/client';
import type { ActivityDeps } from '../activities';
import type { ServiceSpecInput } from '../core/service-spec';
import { stackUp } from '../infra/dev/stack/stack';
import { stackEnv } from '../infra/dev/stack/state';
import { JsonLogger } from '../worker/logger';

/** Shared by the benchmarks: figures printed as a table, the last line one JSON object. */
export { median } from '../core/median';
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function report(title: string, rows: [string, string | number][], json: Record<string, unknown>): void {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(58)} ${v}`);
  console.log(JSON.stringify(json));
}

/** The stack (AUTOGLM_STACK, default `bench`), the project's worker on its own task queue, a client and a Kubernetes client. */
export async function startBenchWorker(name: string, deps: Omit<ActivityDeps, 'kubeconfig'> = {}) {
  const stack = await stackUp(process.env.AUTOGLM_STACK ?? 'bench');
  try {
    Runtime.install({ logger: new JsonLogger('ERROR') });
  } catch {
    // already installed
  }
  const taskQueue = `bench-${name}-${randomBytes(3).toString('hex')}`;
  const { worker, client, close } = await workerWithClient({ taskQueue }, { ...process.env, ...stackEnv(stack) }, deps);
  return { stack, worker, taskQueue, client, kube: connectKube(stack.kubernetes!.kubeconfig), close };
}

/**
 * A bench service `llm` of `version` in `namespace`: 2 replicas × 2 GPUs on pool l4 unless `over`
 * says otherwise, its image a digest made up from the version (benches run the simulated server,
 * which needs no real image).
 */
export function benchSpec(
  namespace: string,
  version: string,
  over: Partial<ServiceSpecInput> & Pick<ServiceSpecInput, 'rollout'>,
): ServiceSpecInput {
  const digest = createHash('sha256')
    .update(version + namespace)
    .digest('hex');
  return {
    service: 'llm',
    namespace,
    version,
    image: `registry.local/m@sha256:${digest}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 2,
    ...over,
  };
}

/**
 * Empties and removes the S3 buckets a bench made: SeaweedFS frees a bucket's volumes only when
 * the bucket goes, and a few 2 GiB runs would fill the stack's disk.
 */
export async function dropBuckets(admin: S3Client, buckets: readonly string[]): Promise<void> {
  for (const Bucket of buckets) {
    for (;;) {
      const page = await admin.send(new ListObjectsV2Command({ Bucket }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await admin.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket }));
  }
}
