/** Prebuilds the workflow bundle the production worker loads (AUTOGLM_WORKFLOW_BUNDLE), so it does not run webpack at start. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  const out = join(__dirname, '..', 'dist', 'workflow-bundle.js');
  mkdirSync(join(__dirname, '..', 'dist'), { recursive: true });
  writeFileSync(out, code);
  console.log(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
