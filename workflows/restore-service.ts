/**
 * restoreService: a service back into production after a loss, from its backup — the newest whole
 * one unless named — into its namespace (or another). Refused while the target serves, unless
 * `replace`; the weights are left where they are when unchanged there, written back when that
 * place is empty, never over other weights. The same restore activity as a drill's, in place
 * instead of isolated; done when every restored Deployment is Ready (that time is the RTO).
 */
import { ApplicationFailure, isCancellation, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../core/errors';
import { GPU_RESOURCE } from '../core/gpu-capacity';
import { RestoreRequest, restoreRefusal } from '../core/restore/request';
import type { RestoreInput, RestoreResult, RestoreStatus } from '../core/restore/types';
import { describeIssues } from '../core/validation';
import { copying, drillStep as quick, waitForRevision as waitFor } from './activity-proxies';
import { failureMessage, failureType } from './failures';
import { restoreStatusQuery } from './messages';

export async function restoreService(input: RestoreInput): Promise<RestoreResult> {
  const parsed = RestoreRequest.safeParse(input.request);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid restore: ${describeIssues(parsed.error)}`, ErrorType.InvalidInput);
  const req = parsed.data;
  const location = { store: req.backupStore, namespace: req.namespace, service: req.service };
  const targetNamespace = req.toNamespace ?? req.namespace;
  const status: RestoreStatus = { namespace: req.namespace, service: req.service, targetNamespace, phase: 'choosing-backup' };
  setHandler(restoreStatusQuery, () => status);
  try {
    const backupId = req.backupId ?? (await quick.newestBackup(location)).backupId;
    status.backupId = backupId;

    status.phase = 'checking';
    const current = await quick.readServiceState({ namespace: targetNamespace, service: req.service });
    const refusal = restoreRefusal({ namespace: targetNamespace, service: req.service }, current.revisions, req.replace);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, ErrorType.InvalidInput);
    const plan = await quick.planWeightsRestore({ ...location, backupId, ...(req.weightsTo ? { weightsTo: req.weightsTo } : {}) });

    status.phase = 'restoring';
    const started = Date.now();
    const restored = await copying.restoreBackup({
      ...location,
      backupId,
      targetNamespace,
      placement: 'in-place',
      ...(plan.action !== 'none' ? { weightsTarget: plan.target, copyWeights: plan.action === 'copy' } : {}),
    });
    status.objects = restored.objects;
    status.deployments = restored.deployments.map((d) => ({ name: d.name, replicas: d.replicas }));
    if (plan.action !== 'none')
      status.weights = {
        target: plan.target,
        copied: plan.action === 'copy',
        ...(restored.weights ? { files: restored.weights.files, bytes: restored.weights.bytes } : {}),
      };

    status.phase = 'waiting-ready';
    for (const d of restored.deployments)
      await waitFor(req.restoreTimeout)({
        namespace: targetNamespace,
        selector: d.selector,
        replicas: d.replicas,
        budgetMs: req.restoreTimeout,
        gpuResource: GPU_RESOURCE,
        what: `restored ${d.name} in ${targetNamespace}`,
      });
    status.rtoMs = Date.now() - started;
    status.phase = 'restored';
    return {
      backupId,
      targetNamespace,
      objects: restored.objects,
      ...(status.weights ? { weights: status.weights } : {}),
      rtoMs: status.rtoMs,
      status,
    };
  } catch (err) {
    status.phase = 'failed';
    status.lastReason = isCancellation(err) ? 'the restore was cancelled' : failureMessage(err);
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(
      `restore of ${req.namespace}/${req.service} into ${targetNamespace} failed: ${status.lastReason}`,
      failureType(err, 'RestoreFailed'),
    );
  }
}
