import { releaseReport } from '../../core/report/release-report';
import type { ReleaseStatus } from '../../core/release/types';

const base: ReleaseStatus = {
  service: 'llm',
  namespace: 'models',
  version: 'v2',
  phase: 'rolled-back',
  paused: false,
  plan: '2 steps: 25 % → 50 %',
  weights: { stable: 100, canary: 0 },
  replicas: { stable: { desired: 2, ready: 2 }, canary: { desired: 0, ready: 0 } },
  startedAt: '2026-11-23T10:00:00Z',
  timings: { planning: 120, canary: 14_250, 'rolling-back': 0 },
  lastReason: 'P95 latency 4458 ms > 2000 ms',
};

describe('releaseReport', () => {
  it('tells the outcome with the analysis evidence, golden prompts and load tests', () => {
    const status: ReleaseStatus = {
      ...base,
      image: {
        reference: 'registry.example.com/m@sha256:ab',
        digest: 'sha256:ab',
        signatures: [{ format: 'bundle', identity: { subject: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v2' } }],
        violations: [{ type: 'MissingAttestation', message: 'no provenance' }],
      },
      analysis: {
        step: 1,
        at: '2026-11-23T10:00:14Z',
        decision: { action: 'rollback', reasons: ['P95 latency 4458 ms > 2000 ms'] },
        checks: [
          {
            name: 'p95-latency',
            verdict: 'fail',
            detail: 'P95 E2E | canary',
            value: 4458.2,
            threshold: 2000,
            query: 'histogram_quantile(…)',
          },
          { name: 'compare-ttft', verdict: 'pass', detail: 'canary vs baseline', stats: { U: 12, p: 0.4312 } },
        ],
      },
      golden: { step: 1, compared: 3, mismatches: 0 },
      loadTests: [{ step: 1, summary: {} as never, markdown: '### Load test: canary\n\n| ms | P50 |' }],
    };
    const r = releaseReport(status, { ok: false, headline: 'v2 rolled back: P95 latency 4458 ms > 2000 ms' });
    expect(r.title).toBe('v2 rolled back: P95 latency 4458 ms > 2000 ms');
    const md = r.summary;
    expect(md).toMatch(/^## ❌ v2 rolled back/);
    expect(md).toContain('| Service | `models/llm` |');
    expect(md).toContain('| Signatures | 1 verified (https://github.com/o/r/.github/workflows/release.yml@refs/tags/v2) |');
    expect(md).toContain('| ⚠️ MissingAttestation | no provenance (deployed under `warn`) |');
    expect(md).toContain('| Time by phase | planning 0.1 s · canary 14.3 s |'); // zero-length phases left out
    expect(md).toContain('### Canary analysis — step 1, rollback');
    expect(md).toContain('| p95-latency | ❌ fail | 4458 | 2000 | P95 E2E \\| canary |'); // a pipe in a cell is escaped
    expect(md).toContain('| compare-ttft | ✅ pass |  |  | canary vs baseline; U=12 p=0.4312 |');
    expect(md).toContain('3 compared, 0 answered differently');
    expect(md).toContain('### Step 1: Load test: canary');
  });

  it.each`
    failure                                                                                    | row
    ${{ outcome: 'rolled-back', failedIn: 'canary', reason: 'P95 latency 4458 ms > 2000 ms' }} | ${'| Outcome | rolled back (failed while canary) |'}
    ${{ outcome: 'refused', failedIn: 'verifying', reason: 'no signature' }}                   | ${'| Outcome | refused before any change (failed while verifying) |'}
  `('says how a failed release ended from its failure details: $row', ({ failure, row }) => {
    expect(releaseReport(base, { ok: false, headline: 'x', failure }).summary).toContain(row);
    expect(releaseReport(base, { ok: false, headline: 'x' }).summary).not.toContain('| Outcome |');
  });

  it('keeps a short report for a release without analysis, and cuts a long title', () => {
    const r = releaseReport(
      { ...base, phase: 'succeeded', lastReason: undefined },
      { ok: true, headline: `v2 promoted ${'x'.repeat(200)}` },
    );
    expect(r.title.length).toBe(120);
    expect(r.summary).toMatch(/^## ✅/);
    expect(r.summary).not.toContain('Canary analysis');
    expect(r.summary).not.toContain('Image');
  });
});
