/**
 * `npm run stack:up|down|status` — the local stack the tests and the demo run against.
 * Usage: tsx infra/dev/stack/cli.ts <up|down|status|env> [--name NAME] [--purge] [--json]
 */
import { down, env, status, up } from './commands';
import { DEFAULT_STACK } from './stack';

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
    case 'up':
      return up(name);
    case 'down':
      return down(name, flag('--purge'));
    case 'status':
      return status(name, flag('--json'));
    case 'env':
      return env(name);
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
