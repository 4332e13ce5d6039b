/**
 * `npm run demo`: the main job on the local stack. Without options it tells the demo's story
 * (demo/story.ts); `--scenario FILE` runs a scenario file instead and exits non-zero when an
 * outcome differs from what the file expects (docs/scenarios.md).
 */
import { Command, Option } from 'commander';
import { CliError, EXIT } from '../cli/exit-codes';
import { readInputFile } from '../cli/release';
import { parseScenarioText } from './scenario/format';
import { runScenario } from './scenario/run';
import { openDemoSession } from './session';
import { runStory } from './story';

const program = new Command('npm run demo --')
  .description('Runs a full release story on the local stack (brought up if needed), or a scenario file.')
  .addOption(new Option('--scenario <file>', 'run this scenario (JSON or YAML, see docs/scenarios.md) instead of the story'))
  .addOption(new Option('--stack <name>', 'local stack to use (brought up if it is not running)').env('AUTOGLM_STACK').default('demo'))
  .addHelpText('after', '\nExit codes: 0 as expected, 1 an outcome differed (or the demo failed), 2 invalid scenario file.')
  .showHelpAfterError();

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{ scenario?: string; stack: string }>();
  if (!opts.scenario) {
    await runStory(opts.stack);
    return EXIT.ok;
  }
  const scenario = readInputFile(opts.scenario, parseScenarioText);
  console.log(`▶ scenario "${scenario.name}" (${opts.scenario})${scenario.description ? `\n  ${scenario.description.trim()}` : ''}`);
  const session = await openDemoSession(opts.stack);
  const reports = await session.worker.runUntil(runScenario(session, scenario, (line) => console.log(`  ${line}`)));
  await session.close();
  const failed = reports.filter((r) => r.mismatches.length > 0);
  console.log(`\n▶ summary: ${reports.length - failed.length}/${reports.length} steps as expected`);
  for (const r of reports)
    console.log(
      `  ${r.mismatches.length === 0 ? '✓' : '✗'} ${r.step.padEnd(24)} ${`${(r.durationMs / 1000).toFixed(1)}s`.padStart(7)}  got ${r.observed.outcome.padEnd(12)} expected ${r.expected}`,
    );
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    // Bad input is one line; anything else is a demo failure.
    console.error(err instanceof CliError ? err.message : `\ndemo failed: ${err.message}`);
    process.exit(err instanceof CliError ? err.exitCode : EXIT.failed);
  },
);
