import { Context, heartbeat } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { keepAlive } from '../../worker/keep-alive';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The worker's keep-alive: every activity heartbeats while it runs, repeating its own last details.
describe('activity keep-alive', () => {
  const run = async (info: ConstructorParameters<typeof MockActivityEnvironment>[0], activity: () => Promise<string>) => {
    const env = new MockActivityEnvironment(info, { interceptors: [keepAlive(100)] });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result = await env.run(activity);
    return { result, beats };
  };

  it('heartbeats an activity that never does', async () => {
    const { result, beats } = await run({}, async () => {
      await sleep(550);
      return 'done';
    });
    expect(result).toBe('done');
    expect(beats.length).toBeGreaterThanOrEqual(4);
  });

  it("repeats the activity's own details, however it sent them", async () => {
    const { beats } = await run({}, async () => {
      Context.current().heartbeat({ copied: 1 });
      await sleep(250);
      heartbeat({ copied: 2 });
      await sleep(250);
      return 'done';
    });
    expect(beats[0]).toEqual({ copied: 1 });
    const afterSecond = beats.slice(beats.findIndex((b) => (b as { copied: number }).copied === 2));
    expect(afterSecond.length).toBeGreaterThanOrEqual(2);
    expect(afterSecond.every((b) => (b as { copied: number }).copied === 2)).toBe(true);
    expect(beats.slice(0, beats.length - afterSecond.length).every((b) => (b as { copied: number }).copied === 1)).toBe(true);
  });

  it("a retry keeps the previous attempt's details until it sends its own", async () => {
    const { beats } = await run({ attempt: 2, heartbeatDetails: { copied: 7 } }, async () => {
      await sleep(250);
      return 'done';
    });
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.every((b) => (b as { copied: number }).copied === 7)).toBe(true);
  });

  it('stops when the activity ends, failed or not', async () => {
    const env = new MockActivityEnvironment({}, { interceptors: [keepAlive(50)] });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await expect(
      env.run(async () => {
        await sleep(120);
        throw new Error('broken');
      }),
    ).rejects.toThrow('broken');
    const atEnd = beats;
    await sleep(200);
    expect(beats).toBe(atEnd);
  });
});
