/**
 * `npm run stack:up|down|status` — the local stack the tests and the demo run against.
 * Usage: tsx infra/dev/stack/cli.ts <up|down|status|env> [--name NAME] [--purge] [--json]
 */
import { stackDown, stackStatus, stackUp, DEFAULT_STACK } from './stack';
import { readState, stackEnv } from './state';

const USAGE = `usage: stack <up|down|status|env> [--name NAME] [--purge] [--json]
  up       start what is not running (builds the binaries once, into the cache)
  down     stop everything; --purge also deletes the stack's data
  status   show each component and its endpoint
  env      print the environment variables that point the product at this stack
  --name   the stack (default: $AUTOGLM_STACK or "dev"; tests use "test")`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flag = (f: string) => rest.includes(f);
  const nameAt = rest.indexOf('--name');
  const name = nameAt >= 0 ? rest[nameAt + 1] : DEFAULT_STACK;
  if (!name || !command || flag('--help') || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'up': {
      const started = Date.now();
      const state = await stackUp(name);
      console.log(`stack "${name}" is up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      for (const [k, v] of Object.entries(stackEnv(state))) console.log(`  ${k}=${v}`);
      if (state.temporal) console.log(`  Temporal UI: ${state.temporal.uiUrl}`);
      return 0;
    }
    case 'down':
      await stackDown(name, { purge: flag('--purge') });
      console.log(`stack "${name}" is down${flag('--purge') ? ' (data deleted)' : ''}`);
      return 0;
    case 'status': {
      const status = await stackStatus(name);
      if (flag('--json')) console.log(JSON.stringify(status));
      else for (const s of status) console.log(`${s.up ? 'up  ' : 'down'}  ${s.component.padEnd(13)} ${s.endpoint ?? ''}`);
      return status.every((s) => s.up) ? 0 : 1;
    }
    case 'env': {
      const state = readState(name);
      if (!state) throw new Error(`stack "${name}" has never been started (npm run stack:up)`);
      for (const [k, v] of Object.entries(stackEnv(state))) console.log(`export ${k}=${v}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  },
);
