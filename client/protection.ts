/**
 * Continuous protection from outside the worker: start it for a service (once: starting again
 * finds the running one, or replaces its spec with --update), read its status, stop it.
 */
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { ProtectSpec, protectWorkflowId, type ProtectSpecInput } from '../core/protect/spec';
import type { ProtectStatus } from '../core/protect/types';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { describeIssues } from '../core/validation';
import { protectStatusQuery } from '../workflows/messages';
import type { protectService } from '../workflows/protect-service';

export class InvalidProtectionError extends Error {
  override name = 'InvalidProtectionError';
}

export function validateProtection(spec: unknown): ProtectSpec {
  const parsed = ProtectSpec.safeParse(spec);
  if (!parsed.success) throw new InvalidProtectionError(`invalid protection spec: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Starts protecting the service; a second start while it runs returns the running workflow (or, with `update`, restarts it on the new spec). */
export async function startProtection(client: Client, spec: ProtectSpecInput, opts: { taskQueue?: string; update?: boolean } = {}) {
  const valid = validateProtection(spec);
  return client.workflow.start<typeof protectService>('protectService', {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: protectWorkflowId(valid.namespace, valid.service),
    workflowIdConflictPolicy: opts.update ? WorkflowIdConflictPolicy.TERMINATE_EXISTING : WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ spec }],
  });
}

export const protectionHandle = (client: Client, namespace: string, service: string) =>
  client.workflow.getHandle<typeof protectService>(protectWorkflowId(namespace, service));

export const protectionStatus = (client: Client, namespace: string, service: string): Promise<ProtectStatus> =>
  protectionHandle(client, namespace, service).query(protectStatusQuery);

/** Stops protecting (its backups stay); a service not protected is not an error. */
export async function stopProtection(client: Client, namespace: string, service: string): Promise<boolean> {
  try {
    await protectionHandle(client, namespace, service).cancel();
    return true;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}
