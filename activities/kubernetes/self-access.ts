/**
 * The worker's own rights in a namespace it just created (a DR drill's copy): it binds the
 * service role there to itself, as a least-privilege worker cannot act in a namespace no
 * RoleBinding names it in. Needs infra/worker/dr-drill-rbac.yaml (create rolebindings, bind that
 * role); an admin identity needs nothing more.
 */
import { AuthenticationV1Api, AuthorizationV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../core/errors';
import { FIELD_MANAGER, type KubeObject } from '../../core/manifests';
import { applyObjects } from './apply';
import type { Kube } from './client';
import { classifyKubeError } from './errors';

/** The ClusterRole a drill's copy needs (what the worker holds in a model namespace). */
export const SERVICE_ROLE = 'autoglm-worker-service';

type Subject =
  { kind: 'ServiceAccount'; name: string; namespace: string } | { kind: 'User'; apiGroup: 'rbac.authorization.k8s.io'; name: string };

/** Who the API server says the worker is (SelfSubjectReview). */
export async function ownSubject(kube: Kube): Promise<Subject> {
  const review = await kube.config
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  const username = review.status?.userInfo?.username ?? '';
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return sa
    ? { kind: 'ServiceAccount', namespace: sa[1]!, name: sa[2]! }
    : { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: username };
}

/** Binds SERVICE_ROLE to the worker in `namespace`, then waits until the authorizer agrees (its cache lags a little). */
export async function grantSelfServiceRole(kube: Kube, namespace: string, timeoutMs = 15_000): Promise<void> {
  const subject = await ownSubject(kube);
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'autoglm-worker', namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SERVICE_ROLE },
    subjects: [subject],
  };
  await applyObjects(kube, [binding as unknown as KubeObject]).catch((err: Error) => {
    throw err instanceof ApplicationFailure && err.type === ErrorType.KubernetesForbidden
      ? ApplicationFailure.nonRetryable(
          `${err.message} (a least-privilege worker needs infra/worker/dr-drill-rbac.yaml to run drills)`,
          ErrorType.KubernetesForbidden,
        )
      : err;
  });
  const authz = kube.config.makeApiClient(AuthorizationV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const review = await authz.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: 'create', group: 'apps', resource: 'deployments' } },
        },
      });
      if (review.status?.allowed) return;
    } catch (err) {
      throw classifyKubeError(err, `checking the worker's rights in ${namespace}`);
    }
    if (Date.now() > deadline)
      throw classifyKubeError(
        new Error(`the RoleBinding in ${namespace} did not take effect within ${timeoutMs / 1000}s`),
        `binding ${SERVICE_ROLE} in ${namespace}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
