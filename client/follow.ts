/**
 * Polls a running workflow's status until its result settles, for live progress; returns the
 * result or throws its failure. A status that cannot be read (not yet there) is skipped.
 */
export async function pollUntilSettled<T, S>(
  result: Promise<T>,
  poll: () => Promise<S | undefined>,
  onStatus: (status: S) => void,
  intervalMs: number,
): Promise<T> {
  let done = false;
  result.then(
    () => (done = true),
    () => (done = true),
  ); // also marks a failure as handled until awaited below
  while (!done) {
    const st = await poll().catch(() => undefined);
    if (st !== undefined) onStatus(st);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return result;
}
