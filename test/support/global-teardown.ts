import { stackDown } from '../../infra/dev/stack/stack';
import { TEST_STACK } from './stack';

/** Stops the stack the setup started (and deletes its data); one that was already running is left alone. */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __autoglmStartedStack?: boolean }).__autoglmStartedStack;
  if (!started || process.env.AUTOGLM_KEEP_STACK === '1') return;
  await stackDown(TEST_STACK, { purge: true });
}
