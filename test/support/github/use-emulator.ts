import { startTestWorker, type TestWorker } from '../worker-in-process';
import { GitHubEmulator } from './emulator';

/**
 * For a test file: the GitHub emulator and a worker reporting to it (with its token, or with
 * what `credentials` gives, e.g. App credentials), stopped after; each test ends by asserting
 * that nothing was sent or answered that GitHub's description does not allow.
 */
export function useGitHubWorker(
  prefix: string,
  credentials: (github: GitHubEmulator) => Record<string, string> = (g) => ({ GITHUB_TOKEN: g.token }),
) {
  const ctx = { github: new GitHubEmulator(), worker: undefined as unknown as TestWorker };
  beforeAll(async () => {
    await ctx.github.start();
    ctx.worker = await startTestWorker(prefix, { GITHUB_API_URL: ctx.github.url, ...credentials(ctx.github) });
  });
  afterAll(async () => {
    await ctx.worker?.stop();
    await ctx.github.stop();
  });
  afterEach(() => expect(ctx.github.violations).toEqual([]));
  return ctx;
}
