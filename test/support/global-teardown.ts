import { stackDown } from '../../infra/dev/stack/stack';
import { TEST_STACK } from './stack';

/** Stops the stack the setup started (and deletes its data); one that was already running is left alone. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __autoglmStartedStack?: boolean };
  if (!g.__autoglmStartedStack || process.env.AUTOGLM_KEEP_STACK === '1') return;
  g.__autoglmStartedStack = false; // each project on the stack runs this: stop it once
  await stackDown(TEST_STACK, { purge: true });
}
