/** A restore's input, live status and result (the restoreService workflow's). Pure types. */
import type { RestoreRequestInput } from './request';

export interface RestoreInput {
  request: RestoreRequestInput;
}

export type RestorePhase = 'choosing-backup' | 'checking' | 'restoring' | 'waiting-ready' | 'restored' | 'failed';

export interface RestoreStatus {
  namespace: string;
  service: string;
  targetNamespace: string;
  phase: RestorePhase;
  backupId?: string;
  /** Where the weights are served from after the restore, and whether they were copied there. */
  weights?: { target: string; copied: boolean; files?: number; bytes?: number };
  objects?: number;
  deployments?: { name: string; replicas: number }[];
  rtoMs?: number;
  lastReason?: string;
}

export interface RestoreResult {
  backupId: string;
  targetNamespace: string;
  objects: number;
  weights?: RestoreStatus['weights'];
  /** Restore start → every restored Deployment Ready. */
  rtoMs: number;
  status: RestoreStatus;
}
