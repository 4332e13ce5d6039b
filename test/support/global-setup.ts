import { connectKube } from '../../activities/kubernetes/client';
import { stackStatus, stackUp } from '../../infra/dev/stack/stack';
import { deleteNamespacesLabelled } from './kube';
import { TEST_STACK } from './stack';

/** Brings the real local stack up once for all integration tests (building binaries the first time). */
export default async function globalSetup(): Promise<void> {
  const wasUp = (await stackStatus(TEST_STACK)).every((c) => c.up);
  // Each project on the stack runs this: the first one that found it down started it.
  const g = globalThis as { __autoglmStartedStack?: boolean };
  g.__autoglmStartedStack = g.__autoglmStartedStack === true || !wasUp;
  const started = Date.now();
  const stack = await stackUp(TEST_STACK);
  // A stack this run started is used by no other run: what earlier, killed runs left (namespaces
  // holding GPUs and ClusterIPs) goes. A stack found up may be another run's, so it is left alone.
  const cleared = wasUp ? 0 : await deleteNamespacesLabelled(connectKube(stack.kubernetes!.kubeconfig), { 'autoglm.dev/test': 'true' });
  process.stderr.write(
    `\n[stack] "${TEST_STACK}" ${wasUp ? 'was already up' : 'started'} (${((Date.now() - started) / 1000).toFixed(1)}s)` +
      (cleared > 0 ? `; ${cleared} namespace(s) from earlier runs removed` : '') +
      '\n',
  );
}
