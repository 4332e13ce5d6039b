/** A DR drill's input, live status and result (the drill workflow's, read by the CLI and benches). Pure types. */
import type { BackupSummary, DrillFigures } from './figures';
import type { DrillSpecInput } from './spec';

export interface DrillInput {
  spec: DrillSpecInput;
}

export type DrillPhase = 'backing-up' | 'restoring' | 'verifying' | 'cleaning-up' | 'reporting' | 'passed' | 'missed-targets' | 'failed';

export interface DrillStatus {
  namespace: string;
  service: string;
  phase: DrillPhase;
  isolatedNamespace: string;
  startedAt: string;
  backup?: BackupSummary;
  figures?: DrillFigures;
  lastReason?: string;
  report?: { title: string; issue?: number };
  /** What retention did after the drill: backups kept, and those removed. */
  retention?: { kept: number; removed: string[]; weightsRemoved?: number };
}

export interface DrillResult {
  outcome: 'passed' | 'missed-targets';
  figures: DrillFigures;
  backup: BackupSummary;
  golden?: { compared: number; mismatches: number };
  report?: { title: string; issue?: number };
  status: DrillStatus;
}
