/** Continuous protection's input, carried state and live status (the protectService workflow's). Pure types. */
import type { ProtectedChange, RpoFigures } from './rpo';
import type { ProtectSpecInput } from './spec';

/** What one run of the workflow hands the next (continue-as-new). */
export interface ProtectState {
  /** The newest verified backup, and the service's state it holds. */
  last?: { backupId: string; fingerprint: string; observedAt: number; verifiedAt: number };
  lastFullVerifyAt?: number;
  /** Backups taken since protection started. */
  backups: number;
  /** The latest protected changes (at most RECENT_CHANGES), for RPO figures. */
  recent: ProtectedChange[];
}

export interface ProtectInput {
  spec: ProtectSpecInput;
  state?: ProtectState;
}

export type ProtectPhase = 'backing-up' | 'verifying' | 'watching' | 'full-verification' | 'retrying';

export interface ProtectStatus {
  namespace: string;
  service: string;
  phase: ProtectPhase;
  state: ProtectState;
  rpo: RpoFigures;
  /** The last failure, until a backup succeeds again. */
  lastError?: string;
}

export const RECENT_CHANGES = 500;
