/** The Markdown summary of a load test, with a text chart that renders anywhere (GitHub, a terminal). Pure. */
import type { LoadSummary, Percentiles } from './summary';

const BAR = 40;

function bars(rows: [string, number][]): string[] {
  const max = Math.max(...rows.map(([, v]) => v), 1e-9);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(
    ([label, v]) =>
      `${label.padEnd(width)} ${'█'.repeat(Math.max(v > 0 ? 1 : 0, Math.round((v / max) * BAR))).padEnd(BAR)} ${v.toFixed(1)} ms`,
  );
}

const row = (name: string, p: Percentiles) =>
  `| ${name} | ${p.mean.toFixed(1)} | ${p.p50.toFixed(1)} | ${p.p90.toFixed(1)} | ${p.p95.toFixed(1)} | ${p.p99.toFixed(1)} | ${p.max.toFixed(1)} |`;

export function loadReportMarkdown(title: string, s: LoadSummary): string {
  const errors =
    Object.entries(s.errors)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const slo =
    Object.entries(s.goodput.slo)
      .map(([k, v]) => `${k} ≤ ${v} ms`)
      .join(', ') || 'none set';
  return [
    `### ${title}`,
    '',
    `${s.completed} of ${s.requests} requests completed in ${s.durationSeconds.toFixed(1)} s — ${s.requestsPerSecond.toFixed(2)} req/s, ${s.outputTokensPerSecond.toFixed(1)} output tokens/s; errors: ${errors} (${(s.errorRate * 100).toFixed(2)} %).`,
    `Goodput (${slo}): ${s.goodput.requestsPerSecond.toFixed(2)} req/s, ${(s.goodput.share * 100).toFixed(1)} % of requests.`,
    '',
    '| ms | mean | P50 | P90 | P95 | P99 | max |',
    '|---|---|---|---|---|---|---|',
    row('TTFT', s.ttft),
    row('TPOT', s.tpot),
    row('ITL', s.itl),
    row('E2E', s.e2e),
    '',
    '```text',
    ...bars([
      ['TTFT P50', s.ttft.p50],
      ['TTFT P95', s.ttft.p95],
      ['TTFT P99', s.ttft.p99],
      ['E2E P50', s.e2e.p50],
      ['E2E P95', s.e2e.p95],
      ['E2E P99', s.e2e.p99],
    ]),
    '```',
    '',
    'Definitions as `vllm bench serve`: TTFT to the first streamed token, TPOT = (E2E − TTFT) / (tokens − 1), ITL every gap between chunks; all from the intended send time (open loop).',
  ].join('\n');
}
