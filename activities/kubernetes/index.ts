import type { PoolCapacity } from '../../core/gpu-capacity';
import type { KubeObject } from '../../core/manifests';
import type { ObjectRef } from '../../core/manifests';
import { applyObjects, deleteObjects, scaleDeployment } from './apply';
import { readPoolCapacity, type ReadPoolCapacityInput } from './capacity';
import type { Kube } from './client';
import type { RevisionRecord } from '../../core/revision-history';
import { readRevisionHistory, recordRevision } from './revisions';
import { readServiceState, type ServiceState } from './service-state';
import { waitForRevision, type WaitForRevisionInput, type WaitResult } from './wait-ready';

/** Activities that talk to the Kubernetes API server. Each is idempotent: it states desired state. */
export const createKubernetesActivities = (kube: Kube) => ({
  async readPoolCapacity(input: ReadPoolCapacityInput): Promise<PoolCapacity> {
    return readPoolCapacity(kube, input);
  },
  async readServiceState(input: { namespace: string; service: string; gpuResource?: string }): Promise<ServiceState> {
    return readServiceState(kube, input.namespace, input.service, input.gpuResource);
  },
  async applyObjects(input: { objects: KubeObject[]; dryRun?: boolean }): Promise<void> {
    await applyObjects(kube, input.objects, input.dryRun);
  },
  async deleteObjects(input: { refs: ObjectRef[] }): Promise<void> {
    await deleteObjects(kube, input.refs);
  },
  async scaleRevision(input: { namespace: string; deployment: string; replicas: number }): Promise<void> {
    await scaleDeployment(kube, input.namespace, input.deployment, input.replicas);
  },
  async readRevisionHistory(input: { namespace: string; service: string }): Promise<RevisionRecord[]> {
    return readRevisionHistory(kube, input.namespace, input.service);
  },
  async recordRevision(input: { namespace: string; service: string; record: RevisionRecord }): Promise<void> {
    await recordRevision(kube, input.namespace, input.service, input.record);
  },
  async waitForRevision(input: WaitForRevisionInput): Promise<WaitResult> {
    return waitForRevision(kube, input);
  },
});

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
