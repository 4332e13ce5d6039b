import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let built: Promise<string> | undefined;

/**
 * The workflow bundle prebuilt once per test process, as the worker image ships it
 * (AUTOGLM_WORKFLOW_BUNDLE): a worker process started with it does not run webpack at start, so
 * a restart after a kill takes what it takes in production.
 */
export function prebuiltWorkflowBundle(): Promise<string> {
  built ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') }).then(({ code }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'autoglm-bundle-')), 'workflow-bundle.js');
    writeFileSync(path, code);
    return path;
  });
  return built;
}
