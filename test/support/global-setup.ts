import { stackStatus, stackUp } from '../../infra/dev/stack/stack';
import { TEST_STACK } from './stack';

/** Brings the real local stack up once for all integration tests (building binaries the first time). */
export default async function globalSetup(): Promise<void> {
  const wasUp = (await stackStatus(TEST_STACK)).every((c) => c.up);
  // Each project on the stack runs this: the first one that found it down started it.
  const g = globalThis as { __autoglmStartedStack?: boolean };
  g.__autoglmStartedStack = g.__autoglmStartedStack === true || !wasUp;
  const started = Date.now();
  await stackUp(TEST_STACK);
  process.stderr.write(
    `\n[stack] "${TEST_STACK}" ${wasUp ? 'was already up' : 'started'} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`,
  );
}
