/** A drill's figures and its report: RTO and RPO against the targets, as Markdown. Pure. */
export interface BackupSummary {
  backupId: string;
  takenAt: string;
  /** The newest change the backup holds (model files, the service's objects). */
  newestDataAt: string;
  objects: number;
  files: number;
  bytes: number;
  durationMs: number;
  /** A new backup (false: an existing one restored). */
  taken: boolean;
  /** The service's weights in object storage, kept content-addressed: what this backup copied and what earlier ones already held. */
  weights?: { source: string; digest: string; files: number; bytes: number; copied?: number; reused?: number };
  /** The service's state it holds, hashed (activities/backup/fingerprint.ts): set when the backup was just taken. */
  fingerprint?: string;
  /** When the backup read the service's objects: changes after it are not in it. Set with the fingerprint. */
  observedAt?: string;
}

export interface DrillFigures {
  rtoMs: number;
  rpoMs: number;
  targets: { rtoMs: number; rpoMs: number };
  meetsRto: boolean;
  meetsRpo: boolean;
}

/**
 * RPO: what a disaster at the drill's time would lose — the time from the newest data in the
 * backup to the newest change of the source since (0 when nothing changed after the backup).
 */
/**
 * RPO: what a loss now would lose — the source's changes the backup does not hold (newer than
 * the newest it holds), counted from when the backup read the source (its recovery point; older
 * backups without that time: from their newest change). Change times are the API server's, to the second.
 */
export function drillFigures(
  rtoMs: number,
  backup: Pick<BackupSummary, 'newestDataAt' | 'observedAt'>,
  sourceLastChangeAt: string,
  targets: { rtoMs: number; rpoMs: number },
): DrillFigures {
  const last = Date.parse(sourceLastChangeAt);
  const held = Date.parse(backup.newestDataAt);
  const point = backup.observedAt ? Date.parse(backup.observedAt) : held;
  const rpoMs = last > held ? Math.max(0, last - point) : 0;
  return { rtoMs, rpoMs, targets, meetsRto: rtoMs <= targets.rtoMs, meetsRpo: rpoMs <= targets.rpoMs };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function drillReport(o: {
  namespace: string;
  service: string;
  isolatedNamespace: string;
  backup?: BackupSummary;
  figures?: DrillFigures;
  failure?: string;
  golden?: { compared: number; mismatches: number };
  retention?: { kept: number; removed: string[]; weightsRemoved?: number };
}): { title: string; body: string } {
  const ok = !o.failure && !!o.figures?.meetsRto && !!o.figures?.meetsRpo;
  const what = `${o.namespace}/${o.service}`;
  const title = o.failure ? `DR drill failed: ${what}` : ok ? `DR drill passed: ${what}` : `DR drill missed its targets: ${what}`;
  const lines = [`## ${o.failure ? '❌' : ok ? '✅' : '⚠️'} ${title}`, ''];
  if (o.failure) lines.push(`**Reason**: ${o.failure}`, '');
  lines.push('| | |', '|---|---|', `| Restored into | \`${o.isolatedNamespace}\` (deleted after the drill) |`);
  if (o.backup) {
    const b = o.backup;
    lines.push(
      `| Backup | \`${b.backupId}\` (${b.taken ? `taken in ${s(b.durationMs)}` : 'existing'}, at ${b.takenAt}) |`,
      `| Backup size | ${b.objects} objects, ${b.files} model files, ${mib(b.bytes)} |`,
    );
    const w = b.weights;
    if (w)
      lines.push(
        `| Weights | \`${w.source}\` (sha256 ${w.digest.slice(0, 12)}…): ${w.files} files, ${mib(w.bytes)}${w.copied === undefined ? '' : `; ${w.copied} copied, ${w.reused} already backed up`} |`,
      );
  }
  if (o.figures) {
    const f = o.figures;
    lines.push(
      `| RTO (restore start → serving) | ${s(f.rtoMs)} — target ${s(f.targets.rtoMs)} ${f.meetsRto ? '✅' : '❌'} |`,
      `| RPO (newest change not in the backup) | ${s(f.rpoMs)} — target ${s(f.targets.rpoMs)} ${f.meetsRpo ? '✅' : '❌'} |`,
    );
  }
  if (o.golden)
    lines.push(
      `| Golden prompts | ${o.golden.compared} answered by the restored service, ${o.golden.mismatches} differently from the source |`,
    );
  if (o.retention)
    lines.push(
      `| Retention | ${o.retention.kept} backups kept, ${o.retention.removed.length} removed${o.retention.removed.length ? ` (${o.retention.removed.map((id) => `\`${id}\``).join(', ')})` : ''}${o.retention.weightsRemoved ? `; ${o.retention.weightsRemoved} weight files no backup names removed` : ''} |`,
    );
  return { title, body: lines.join('\n') };
}
