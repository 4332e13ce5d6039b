/** RPO figures of continuous protection: per change, from when it was made to when a verified backup held it. */
import { quantile } from '../median';

export interface ProtectedChange {
  /** When the change put data at risk (epoch ms). */
  exposedAt: number;
  /** When a verified backup held it. */
  verifiedAt: number;
  backupId: string;
}

export interface RpoFigures {
  changes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Changes protected later than the target. */
  overTarget: number;
}

export function rpoFigures(changes: readonly ProtectedChange[], targetMs: number): RpoFigures {
  const rpo = changes.map((c) => c.verifiedAt - c.exposedAt).sort((a, b) => a - b);
  return {
    changes: rpo.length,
    p50Ms: rpo.length ? quantile(rpo, 0.5) : 0,
    p99Ms: rpo.length ? quantile(rpo, 0.99) : 0,
    maxMs: rpo.length ? rpo[rpo.length - 1]! : 0,
    overTarget: rpo.filter((x) => x > targetMs).length,
  };
}
