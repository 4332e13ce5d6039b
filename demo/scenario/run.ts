/**
 * Runs a scenario on the local stack: builds and pushes its images (signed with the stack's cosign
 * key unless marked unsigned), starts its service's namespace clean, then runs each step with live
 * progress and checks its outcome against the expectation.
 */
import { readFileSync } from 'node:fs';
import { onProgressChange, printWhenChanged } from '../../cli/progress';
import { rollbackLine } from '../../cli/rollback';
import { releaseFailureOf } from '../../client/release-failure';
import { failureText } from '../../client/workflow-failure';
import { followRelease, startRelease } from '../../client/releases';
import { followRollback, startRollback } from '../../client/rollbacks';
import { publishImage, stackSigningKey } from '../../infra/dev/image/publish';
import { freshNamespace, type DemoSession } from '../session';
import { releaseSpec, scenarioService, type ReleaseStepSpec, type Scenario, type ScenarioStep } from './format';
import { mismatches, releaseFailureOutcome, type Observed } from './outcome';

export interface StepReport {
  step: string;
  expected: string;
  observed: Observed<string>;
  mismatches: string[];
  durationMs: number;
}

export async function runScenario(session: DemoSession, scenario: Scenario, print: (line: string) => void): Promise<StepReport[]> {
  const { stack, client, taskQueue, kube } = session;
  const { namespace, service } = scenarioService(scenario);
  const suffix = Date.now().toString(36);
  print(
    `building and pushing ${Object.keys(scenario.images).length} image(s): ${Object.entries(scenario.images)
      .map(([n, i]) => `${n}${i.signed ? '' : ' (unsigned)'}`)
      .join(', ')}`,
  );
  const published = await Promise.all(
    Object.entries(scenario.images).map(async ([name, { signed }]) => {
      const image = await publishImage(stack, {
        repository: 'autoglm/scenario-server',
        tag: `${name}-${suffix}`,
        files: { 'opt/model/VERSION': `${name}\n` },
        ...(signed ? {} : { sign: [] }),
      });
      return [name, image.reference] as const;
    }),
  );
  const images = new Map(published);
  const cosignKey = readFileSync((await stackSigningKey(stack)).publicKeyPath, 'utf8');
  await freshNamespace(kube, namespace);

  const reports: StepReport[] = [];
  for (const [i, step] of scenario.steps.entries()) {
    const started = Date.now();
    const { label, expected, observed, expectation } =
      'release' in step ? await runRelease(step.release, images.get(step.release.image)!) : await runRollback(step);
    const report = {
      step: label,
      expected: expectation,
      observed,
      mismatches: mismatches(expected, observed),
      durationMs: Date.now() - started,
    };
    reports.push(report);
    print(
      `${report.mismatches.length === 0 ? '✓' : '✗'} step ${i + 1} ${label}: ${observed.outcome}${observed.version ? ` (${observed.version})` : ''}${observed.reason ? `: ${observed.reason}` : ''}`,
    );
    for (const m of report.mismatches) print(`    ${m}`);
  }
  return reports;

  async function runRelease(release: ReleaseStepSpec, image: string) {
    print(`release ${release.version} (image ${release.image}); expected: ${release.expect.outcome}`);
    const spec = releaseSpec(scenario, release, image, cosignKey);
    let observed: Observed<typeof release.expect.outcome>;
    try {
      const handle = await startRelease(client, spec, { taskQueue, requestedBy: `scenario ${scenario.name}` });
      const r = await followRelease(
        handle,
        onProgressChange((line) => print(`  ${line}`)),
      );
      observed = { outcome: r.outcome, reason: r.reason ?? r.status.lastReason ?? '', version: r.version };
    } catch (err) {
      observed = { ...releaseFailureOutcome(releaseFailureOf(err), failureText(err)), version: release.version };
    }
    return { label: `release ${release.version}`, expected: release.expect, observed, expectation: describeExpectation(release.expect) };
  }

  async function runRollback(step: Extract<ScenarioStep, { rollback: unknown }>) {
    const rb = step.rollback;
    print(`on-call rollback${rb.to ? ` to ${rb.to}` : ''}: "${rb.reason}"; expected: ${rb.expect.outcome}`);
    let observed: Observed<typeof rb.expect.outcome>;
    const started = Date.now();
    try {
      const handle = await startRollback(
        client,
        { namespace, service, reason: rb.reason, requestedBy: `scenario ${scenario.name}`, ...(rb.to ? { to: rb.to } : {}) },
        { taskQueue },
      );
      const printLine = printWhenChanged((line) => print(`  ${line}`));
      const r = await followRollback(client, handle, (p) => printLine(rollbackLine(p, Date.now() - started)));
      observed = {
        outcome: r.outcome,
        reason: r.status.lastReason ?? '',
        ...(r.status.target ? { version: r.status.target.version } : {}),
      };
    } catch (err) {
      observed = { outcome: 'failed', reason: failureText(err) };
    }
    return { label: `rollback${rb.to ? ` to ${rb.to}` : ''}`, expected: rb.expect, observed, expectation: describeExpectation(rb.expect) };
  }
}

const describeExpectation = (e: { outcome: string; reason?: string | undefined; version?: string | undefined }) =>
  `${e.outcome}${e.version ? ` (${e.version})` : ''}${e.reason ? `, reason ~ "${e.reason}"` : ''}`;
