import { ensureInstalled } from '../../infra/dev/stack/install';

/** Workflow tests need only the stack's binaries (the time-skipping test server), not a running stack. */
export default async function installSetup(): Promise<void> {
  await ensureInstalled();
}
