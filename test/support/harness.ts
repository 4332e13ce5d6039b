import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, testKube } from './kube';
import { startTestWorker, type TestWorker } from './worker-in-process';

export interface ReleaseHarness {
  kube: Kube;
  worker: TestWorker;
  /** The current test namespace (per file or per test). */
  ns: string;
}

/**
 * Registers the hooks an end-to-end release test needs: the project's worker for the file and a
 * fresh namespace, for the whole file or for each test; both cleaned up after.
 */
export function useReleaseHarness(prefix: string, namespacePer: 'file' | 'test'): ReleaseHarness {
  const h = {} as ReleaseHarness;
  const [before, after] = namespacePer === 'file' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  beforeAll(async () => {
    h.kube = testKube();
    h.worker = await startTestWorker(`it-${prefix}`);
  });
  afterAll(() => h.worker?.stop());
  before(async () => {
    h.ns = await createTestNamespace(h.kube, prefix);
  });
  after(() => deleteNamespace(h.kube, h.ns));
  return h;
}
