import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { bin } from '../../infra/dev/stack/paths';
import { JsonLogger } from '../../worker/logger';

/**
 * Temporal's time-skipping test server for this test file, with the project's workflows bundled
 * once: hours of bake time and gate timeouts pass at once.
 */
export function useTimeSkipping() {
  const ctx = {} as { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap };
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new JsonLogger('WARN') });
    } catch {
      // already installed in this process
    }
    ctx.env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: bin('temporal-test-server') } },
    });
    ctx.bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new JsonLogger('WARN') });
  });
  afterAll(() => ctx.env?.teardown());

  return {
    get env() {
      return ctx.env;
    },
    async withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
      const taskQueue = `wf-${randomBytes(3).toString('hex')}`;
      const worker = await Worker.create({ connection: ctx.env.nativeConnection, taskQueue, workflowBundle: ctx.bundle, activities });
      const running = worker.run();
      try {
        return await fn(taskQueue);
      } finally {
        // Always wait for the worker to stop, also when the test failed: a worker left polling
        // keeps the test server's connection and breaks the files that run after this one.
        worker.shutdown();
        await running;
      }
    },
  };
}
