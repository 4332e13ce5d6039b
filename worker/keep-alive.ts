/**
 * Every activity heartbeats while it runs, so a lost worker (kill -9, a node gone) is noticed
 * within the heartbeat timeout — seconds — instead of a start-to-close timeout of minutes. The
 * heartbeat repeats the details the activity last gave (or its previous attempt's), so an
 * activity that resumes from its heartbeat still finds its own progress there.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** How often the keep-alive heartbeats; the SDK sends at most one per throttle interval. */
export const KEEP_ALIVE_INTERVAL_MS = 1_000;

export const keepAlive =
  (intervalMs = KEEP_ALIVE_INTERVAL_MS): ActivityInterceptorsFactory =>
  (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        let last: unknown = ctx.info.heartbeatDetails;
        const own = ctx.heartbeat;
        // The activity's own heartbeats (ctx.heartbeat or heartbeat()) go through here: their details are kept.
        Object.defineProperty(ctx, 'heartbeat', {
          configurable: true,
          writable: true,
          value: (details?: unknown) => {
            last = details;
            own(details);
          },
        });
        const timer = setInterval(() => own(last), intervalMs);
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  });
