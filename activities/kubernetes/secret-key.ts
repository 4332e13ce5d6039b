/** One key of a Secret, read when it is needed and never kept: tokens stay out of histories and logs. */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import type { KeyRef } from '../../core/key-ref';
import type { Kube } from './client';
import { classifyKubeError, statusOf } from './errors';

export async function readSecretKey(kube: Kube, namespace: string, ref: KeyRef): Promise<string> {
  const what = `Secret ${namespace}/${ref.name}`;
  const secret = await kube.core.readNamespacedSecret({ namespace, name: ref.name }).catch((err: unknown) => {
    // A missing Secret is the spec's mistake; retrying cannot create it.
    if (statusOf(err) === 404) throw ApplicationFailure.nonRetryable(`${what} not found`, ErrorType.InvalidConfig);
    throw classifyKubeError(err, `reading ${what}`);
  });
  const encoded = secret.data?.[ref.key];
  if (encoded === undefined) {
    const keys = Object.keys(secret.data ?? {});
    throw ApplicationFailure.nonRetryable(
      `${what} has no key "${ref.key}" (it has ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'none'})`,
      ErrorType.InvalidConfig,
    );
  }
  return Buffer.from(encoded, 'base64').toString('utf8').trim();
}
