/**
 * The release report as Markdown (a GitHub check run's output, and anywhere else Markdown
 * renders): outcome, image and its verification, phase timings, the latest canary analysis with
 * its evidence, golden prompts and the load-test reports. Pure.
 */
import type { ReleaseFailureDetails, ReleaseStatus } from '../release/types';
import type { CheckVerdict } from '../analysis/checks';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (v: number | undefined) => (v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(4));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const VERDICT: Record<CheckVerdict, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  marginal: '⚠️ marginal',
  nodata: '… no data',
  info: 'ℹ️ info',
};

export interface ReleaseReport {
  title: string;
  summary: string;
}

/** `failure`: how a failed release ended (its failure's typed details). */
export function releaseReport(
  status: ReleaseStatus,
  outcome: { ok: boolean; headline: string; failure?: ReleaseFailureDetails },
): ReleaseReport {
  const lines: string[] = [`## ${outcome.ok ? '✅' : '❌'} ${cell(outcome.headline)}`, ''];
  lines.push(
    '| | |',
    '|---|---|',
    `| Service | \`${status.namespace}/${status.service}\` |`,
    `| Version | ${cell(status.version)} |`,
    `| Final phase | ${status.phase} |`,
  );
  if (status.plan) lines.push(`| Plan | ${cell(status.plan)} |`);
  if (outcome.failure)
    lines.push(
      `| Outcome | ${outcome.failure.outcome === 'refused' ? 'refused before any change' : 'rolled back'} (failed while ${outcome.failure.failedIn}) |`,
    );
  lines.push(`| Traffic at the end | stable ${status.weights.stable} % · canary ${status.weights.canary} % |`);
  if (status.image) {
    const signers = status.image.signatures.map((s) => s.identity?.subject ?? s.keyId ?? s.format).join(', ');
    lines.push(
      `| Image | \`${status.image.reference}\` |`,
      `| Signatures | ${status.image.signatures.length ? cell(`${status.image.signatures.length} verified (${signers})`) : 'not required'} |`,
    );
    if (status.image.provenance)
      lines.push(
        `| Provenance | ${cell([status.image.provenance.repository, status.image.provenance.ref, status.image.provenance.builder].filter(Boolean).join(' · '))} |`,
      );
    for (const v of status.image.violations ?? []) lines.push(`| ⚠️ ${v.type} | ${cell(v.message)} (deployed under \`warn\`) |`);
  }
  const phases = Object.entries(status.timings)
    .filter(([, ms]) => (ms ?? 0) > 0)
    .map(([p, ms]) => `${p} ${seconds(ms!)}`);
  if (phases.length) lines.push(`| Time by phase | ${phases.join(' · ')} |`);
  if (status.lastReason) lines.push(`| Last reason | ${cell(status.lastReason)} |`);

  if (status.analysis) {
    const a = status.analysis;
    lines.push('', `### Canary analysis — step ${a.step}, ${a.decision.action} (${a.at})`, '');
    if (a.decision.reasons.length) lines.push(...a.decision.reasons.map((r) => `- ${cell(r)}`), '');
    lines.push('| Check | Verdict | Value | Threshold | Evidence |', '|---|---|---|---|---|');
    for (const c of a.checks) {
      const stats = c.stats
        ? Object.entries(c.stats)
            .map(([k, v]) => `${k}=${num(v)}`)
            .join(' ')
        : '';
      lines.push(
        `| ${cell(c.name)} | ${VERDICT[c.verdict]} | ${num(c.value)} | ${num(c.threshold)} | ${cell([c.detail, stats].filter(Boolean).join('; '))} |`,
      );
    }
  }
  if (status.golden)
    lines.push(
      '',
      `### Golden prompts — step ${status.golden.step}`,
      '',
      `${status.golden.compared} compared, ${status.golden.mismatches} answered differently by the canary.`,
    );
  for (const t of status.loadTests ?? []) lines.push('', t.markdown.replace(/^### /, `### Step ${t.step}: `));
  return { title: outcome.headline.length <= 120 ? outcome.headline : `${outcome.headline.slice(0, 119)}…`, summary: lines.join('\n') };
}
