/**
 * The worker's continuous-protection metrics, on its Prometheus endpoint beside the SDK's. Set
 * from activities through the worker runtime's meter (no per-activity tags), so each service has
 * one series per worker process: when its oldest unprotected change was made (0 once a verified
 * backup holds it), up to when the newest verified backup holds the service (the moment it read
 * it), and the RPO of each change once protected. A change is unprotected while the newest
 * exposure any worker saw is later than the newest protected-through any worker set
 * (infra/prometheus/rules/autoglm-protection.yml): a worker that stopped watching cannot hold a
 * stale exposure up.
 */
import type { MetricMeter } from '@temporalio/common';

export interface ProtectionMeter {
  /** A change not yet in a verified backup was made at `sinceMs`. */
  exposed(namespace: string, service: string, sinceMs: number): void;
  /** A verified backup holds the service as it was at `throughMs`; `rpoMs`: how long the change it protects waited. */
  protectedThrough(namespace: string, service: string, throughMs: number, rpoMs?: number): void;
}

export function protectionMeter(meter: MetricMeter): ProtectionMeter {
  const exposedSince = meter.createGauge(
    'autoglm_protect_exposed_since',
    'float',
    'seconds',
    'Epoch seconds of the oldest change of the service not yet in a verified backup; 0 when none',
  );
  const through = meter.createGauge(
    'autoglm_protect_protected_through',
    'float',
    'seconds',
    'Epoch seconds at which the newest verified backup read the service',
  );
  const rpo = meter.createHistogram('autoglm_protect_rpo', 'int', 'ms', 'Time from a change to a verified backup holding it');
  const tags = (namespace: string, service: string) => ({ service_namespace: namespace, service });
  return {
    exposed: (ns, svc, since) => exposedSince.set(since / 1000, tags(ns, svc)),
    protectedThrough(ns, svc, at, rpoMs) {
      exposedSince.set(0, tags(ns, svc));
      through.set(at / 1000, tags(ns, svc));
      if (rpoMs !== undefined) rpo.record(Math.max(0, Math.round(rpoMs)), tags(ns, svc));
    },
  };
}

/** For workers without a metrics endpoint, and tests. */
export const NO_PROTECTION_METER: ProtectionMeter = { exposed: () => undefined, protectedThrough: () => undefined };
