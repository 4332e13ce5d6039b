import { spawn, type SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`${command} exited with ${exitCode}: ${output.trim().split('\n').slice(-15).join('\n')}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Also append all output to this file (for build logs that must survive). */
  logFile?: string;
  input?: string;
  timeoutMs?: number;
}

/** Runs a command to completion and returns its stdout; throws CommandError with the tail of its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] };
    const child = spawn(cmd, args, spawnOpts);
    let log: ReturnType<typeof createWriteStream> | undefined;
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      log = createWriteStream(opts.logFile, { flags: 'a' });
      log.write(`$ ${cmd} ${args.join(' ')}\n`);
    }
    let stdout = '';
    let combined = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      combined += d;
      log?.write(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      combined += d;
      log?.write(d);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      log?.end();
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      log?.end();
      if (code === 0) resolvePromise(stdout);
      else reject(new CommandError(`${cmd} ${args.join(' ')}`, code, combined));
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Finds a program on PATH, or undefined. */
export async function which(program: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${program}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
