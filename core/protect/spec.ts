/** Continuous protection of one service: back up on every change, verify, keep RPO under its target. */
import { z } from 'zod';
import { durationMs } from '../duration';
import { dnsLabel } from '../dns-label';
import { BackupStoreSpec } from '../drill/spec';
import { RetentionSpec } from '../drill/retention';

export const ProtectSpec = z
  .object({
    namespace: dnsLabel,
    service: dnsLabel,
    backupStore: BackupStoreSpec,
    /** A change is backed up once the service has been quiet this long (a rollout writes several objects)… */
    debounce: durationMs.default(5_000),
    /** …but never later than this after the change was first seen, however busy the service is. */
    maxDelay: durationMs.default(20_000),
    /** How often the service's objects and weights manifest are read for changes. */
    pollInterval: durationMs.default(2_000),
    /** Every weight blob of the newest backup is read back and checked this often (bit rot, lost objects). */
    verifyEvery: durationMs.default(3_600_000),
    /** The seeds' RPO: the alert fires when a change stays unprotected longer. */
    rpoTarget: durationMs.default(60_000),
    retention: RetentionSpec.optional(),
  })
  .refine((s) => s.debounce <= s.maxDelay, { path: ['debounce'], message: 'debounce cannot be longer than maxDelay' })
  .refine((s) => s.maxDelay < s.rpoTarget, {
    path: ['maxDelay'],
    message: 'maxDelay must be shorter than rpoTarget, or every busy period misses it',
  })
  .refine((s) => s.pollInterval <= s.debounce, { path: ['pollInterval'], message: 'pollInterval cannot be longer than debounce' });
export type ProtectSpec = z.infer<typeof ProtectSpec>;
export type ProtectSpecInput = z.input<typeof ProtectSpec>;

/** One workflow per service: starting protection twice finds the one already running. */
export const protectWorkflowId = (namespace: string, service: string) => `protect:${namespace}.${service}`;
