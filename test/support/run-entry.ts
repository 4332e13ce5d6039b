import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface EntryRun {
  code: number | null;
  out: string;
  err: string;
}

/** Runs one of the project's entry points (e.g. cli/main.ts) as a user would: a process of its own, its output collected. */
export function runEntry(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  onStdout?: (soFar: string) => void,
): Promise<EntryRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      onStdout?.(out);
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** The CLI, with only the environment pointing it at the stack. */
export const cli = (args: string[], env: Record<string, string> = {}, onStdout?: (soFar: string) => void) =>
  runEntry('cli/main.ts', args, env, onStdout);
