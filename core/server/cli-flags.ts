/**
 * A model server's command-line flags as data, and a parser that accepts what the engine's own
 * parser accepts (argparse, with vLLM's FlexibleArgumentParser rewriting): `--a_b` is `--a-b`,
 * `--x=v` is `--x v`, a unique prefix names its flag, `--no-x` negates a boolean, and a JSON flag
 * takes dotted keys (`--compilation-config.mode 3`). Pure: the renderer, the spec's validation
 * and the simulated server share it.
 */

export interface CliFlag {
  /** Every spelling: `--tensor-parallel-size`, `-tp`; a positional has its name only. */
  names: string[];
  /** none: store_true; bool: --x / --no-x; one / optional (nargs ?) / many (nargs +) values. */
  takes: 'none' | 'bool' | 'one' | 'optional' | 'many';
  type: 'bool' | 'int' | 'human-int' | 'int-or-auto' | 'float' | 'str' | 'json';
  /** Values argparse refuses anything outside of. */
  choices?: string[];
  /** Values the engine checks after parsing (argparse shows them but accepts any string). */
  values?: string[];
  positional?: boolean;
}

export type ParsedValue = string | string[] | boolean;

export interface ParsedCommandLine {
  positionals: string[];
  /** By the flag's first long name (`--port`), dotted JSON keys under their own key. */
  options: Map<string, ParsedValue>;
}

export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

const HUMAN_INT = /^\d+(\.\d+)?[kKmMgGtT]?$/;

function checkValue(flag: CliFlag, value: string): void {
  const label = flag.names.join('/');
  const invalid = (what: string) => new CommandLineError(`argument ${label}: invalid ${what} value: '${value}'`);
  if (flag.type === 'int' && !/^[-+]?\d+$/.test(value)) throw invalid('int');
  if (flag.type === 'human-int' && !HUMAN_INT.test(value)) throw invalid('human_readable_int');
  if (flag.type === 'int-or-auto' && !(HUMAN_INT.test(value) || value === 'auto' || value === '-1'))
    throw invalid('human_readable_int_or_auto');
  if (flag.type === 'float' && (value.trim() === '' || Number.isNaN(Number(value)))) throw invalid('float');
  if (flag.type === 'json') {
    try {
      JSON.parse(value);
    } catch {
      throw invalid('json');
    }
  }
  if (flag.choices && !flag.choices.includes(value)) {
    throw new CommandLineError(
      `argument ${label}: invalid choice: '${value}' (choose from ${flag.choices.map((c) => `'${c}'`).join(', ')})`,
    );
  }
}

/** FlexibleArgumentParser's rewriting: underscores become dashes in a long flag's name, up to the first dot. */
const normalise = (arg: string) => arg.replace(/^--([^.=]*)/, (_, name: string) => `--${name.replace(/_/g, '-')}`);

export class FlagSet {
  private readonly byName = new Map<string, CliFlag>();
  private readonly longNames: string[];
  private readonly positionalSlots: CliFlag[];

  constructor(readonly flags: readonly CliFlag[]) {
    for (const f of flags) {
      if (f.positional) continue;
      for (const n of f.names) this.byName.set(n, f);
      if (f.takes === 'bool') for (const n of f.names) if (n.startsWith('--')) this.byName.set(`--no-${n.slice(2)}`, f);
    }
    this.longNames = [...this.byName.keys()].filter((n) => n.startsWith('--'));
    this.positionalSlots = flags.filter((f) => f.positional);
  }

  /** The flag a spelling names (exact, or argparse's unique prefix). */
  resolve(name: string): { flag: CliFlag; spelled: string } | undefined {
    const exact = this.byName.get(name);
    if (exact) return { flag: exact, spelled: name };
    if (!name.startsWith('--')) return undefined;
    const matches = this.longNames.filter((n) => n.startsWith(name));
    const flags = new Set(matches.map((m) => this.byName.get(m)));
    if (flags.size > 1) throw new CommandLineError(`ambiguous option: ${name} could match ${matches.join(', ')}`);
    const first = matches[0];
    return first === undefined ? undefined : { flag: this.byName.get(first)!, spelled: first };
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Parses `argv` (after the program and subcommand); throws CommandLineError as argparse would exit 2. */
  parse(argv: readonly string[]): ParsedCommandLine {
    const positionals: string[] = [];
    const options = new Map<string, ParsedValue>();
    const unknown: string[] = [];
    const args = argv.map((a) => (a.startsWith('--') ? normalise(a) : a));
    const isFlag = (a: string | undefined) => a !== undefined && a.startsWith('-') && a !== '-' && !/^-\d/.test(a);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (!isFlag(arg)) {
        positionals.push(arg);
        continue;
      }
      const eq = arg.indexOf('=');
      const spelled = eq > 0 ? arg.slice(0, eq) : arg;
      const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
      const dot = spelled.startsWith('--') ? spelled.indexOf('.') : -1;
      const base = dot > 0 ? spelled.slice(0, dot) : spelled;
      const found = this.resolve(base);
      if (!found) {
        unknown.push(arg);
        continue;
      }
      const { flag } = found;
      const key = flag.names.find((n) => n.startsWith('--')) ?? flag.names[0]!;
      const label = flag.names.join('/');
      if (dot > 0) {
        if (flag.type !== 'json') throw new CommandLineError(`argument ${label}: does not take dotted keys (${spelled})`);
        const value = inline ?? (isFlag(args[i + 1]) || args[i + 1] === undefined ? 'true' : args[++i]!);
        options.set(`${key}${spelled.slice(dot)}`, value);
        continue;
      }
      if (flag.takes === 'none' || flag.takes === 'bool') {
        if (inline !== undefined) throw new CommandLineError(`argument ${label}: ignored explicit argument '${inline}'`);
        options.set(key, !found.spelled.startsWith('--no-') || flag.names.includes(found.spelled));
        continue;
      }
      const values: string[] = [];
      if (inline !== undefined) values.push(inline);
      else if (flag.takes === 'many') while (args[i + 1] !== undefined && !isFlag(args[i + 1])) values.push(args[++i]!);
      else if (args[i + 1] !== undefined && !isFlag(args[i + 1])) values.push(args[++i]!);
      if (values.length === 0) {
        if (flag.takes === 'optional') {
          options.set(key, true);
          continue;
        }
        throw new CommandLineError(`argument ${label}: expected ${flag.takes === 'many' ? 'at least one argument' : 'one argument'}`);
      }
      for (const v of values) checkValue(flag, v);
      options.set(key, flag.takes === 'many' ? values : values[0]!);
    }
    if (positionals.length > this.positionalSlots.length) unknown.push(...positionals.slice(this.positionalSlots.length));
    if (unknown.length > 0) throw new CommandLineError(`unrecognized arguments: ${unknown.join(' ')}`);
    return { positionals: positionals.slice(0, this.positionalSlots.length), options };
  }
}
