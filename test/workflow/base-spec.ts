import type { ServiceSpecInput } from '../../core/service-spec';

/**
 * The service the workflow tests release against the fake cluster (fake-cluster.ts: a100 nodes
 * of 8 GPUs): v2 of `ns/llm`, 2 replicas of 8 GPUs, one 50 % step, no analysis. Each test file
 * overrides what it is about.
 */
export const baseSpec = (over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
  service: 'llm',
  namespace: 'ns',
  version: 'v2',
  image: `registry.local/img@sha256:${'a'.repeat(64)}`,
  model: { name: 'm', loadBudget: '10m' },
  gpu: { pool: 'a100', perReplica: 8 },
  replicas: 2,
  rollout: { steps: [{ weight: 50 }] },
  analysis: { enabled: false },
  ...over,
});
