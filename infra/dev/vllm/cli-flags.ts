/**
 * The flags of `vllm serve`, read from vLLM's source the way its parser is built: the
 * `add_argument` calls of `make_arg_parser`, `FrontendArgs.add_cli_args` (one flag per field)
 * and `EngineArgs`/`AsyncEngineArgs.add_cli_args`, with each field's kwargs derived from its
 * config dataclass's annotation as vLLM's `get_kwargs` does, then the mutations those functions
 * apply (`kwargs["x"]["type"] = …`, `del kwargs["x"]["nargs"]`, `choices.remove(…)`).
 */
import type { CliFlag } from '../../../core/server/cli-flags';
import { dottedName, isNode, stringOf, walk, type PyNode } from './python-ast';
import { dataclassFields, moduleOf, TypeHints, type HintAtom } from './type-hints';

/** What get_kwargs gives a field, before the caller's own changes. */
interface FieldKwargs {
  takes: CliFlag['takes'];
  type: CliFlag['type'];
  choices?: string[];
  values?: string[];
}

const kebab = (field: string) => `--${field.replace(/_/g, '-')}`;

/** _compute_kwargs' order of decisions, on the flattened atoms of one annotation. */
export function kwargsOf(atoms: HintAtom[], field: string, humanInts: HumanInts): FieldKwargs {
  const has = (k: HintAtom['kind']) => atoms.some((a) => a.kind === k);
  const kinds = new Set(atoms.map((a) => a.kind));
  if (has('dataclass')) return { takes: 'one', type: 'json' };
  if (kinds.size === 3 && has('bool') && has('str') && has('none')) return { takes: 'optional', type: 'str' };
  if (has('bool')) return { takes: 'bool', type: 'bool' };
  const literal = atoms.find((a): a is Extract<HintAtom, { kind: 'literal' }> => a.kind === 'literal');
  if (literal) {
    const sorted = literal.values.map(String).sort();
    return has('str')
      ? { takes: 'one', type: 'str', values: sorted }
      : { takes: 'one', type: typeof literal.values[0] === 'number' ? 'int' : 'str', choices: sorted };
  }
  const collection = atoms.find((a) => a.kind === 'tuple' || a.kind === 'list' || a.kind === 'set');
  if (collection) return { takes: 'many', type: 'str' };
  if (has('int'))
    return { takes: 'one', type: field === humanInts.orAuto ? 'int-or-auto' : humanInts.names.has(field) ? 'human-int' : 'int' };
  if (has('float')) return { takes: 'one', type: 'float' };
  // A dict that may also be a string (or a class) is vLLM's union_dict_and_str: anything goes.
  if (has('dict')) return { takes: 'one', type: has('str') || has('other') ? 'str' : 'json' };
  return { takes: 'one', type: 'str' };
}

interface HumanInts {
  names: Set<string>;
  orAuto?: string;
}

/** The fields _compute_kwargs parses as human-readable integers (a set literal), and the one that also takes "auto". */
function humanInts(argUtils: PyNode): HumanInts {
  const fn = [...walk(argUtils)].find((n) => isNode(n, 'FunctionDef') && n.name === '_compute_kwargs');
  const names = new Set<string>();
  let orAuto: string | undefined;
  for (const n of walk(fn)) {
    if (isNode(n, 'Assign') && isNode(n.value, 'Set') && (n.targets as PyNode[]).some((t) => dottedName(t)?.includes('human_readable')))
      for (const e of n.value.elts as PyNode[]) if (stringOf(e)) names.add(stringOf(e)!);
    if (isNode(n, 'Compare') && dottedName(n.left) === 'name' && !orAuto) orAuto = stringOf((n.comparators as PyNode[])[0]);
  }
  return { names, orAuto };
}

type Mutation = (k: FieldKwargs) => void;

/** `X["field"]["key"] = value`, `del X["field"]["key"]` and `X["field"]["choices"].remove(v)` in a function body. */
function mutationsIn(fn: PyNode, variable: string): Map<string, Mutation[]> {
  const out = new Map<string, Mutation[]>();
  const add = (field: string, m: Mutation) => out.set(field, [...(out.get(field) ?? []), m]);
  const target = (n: unknown): { field: string; key: string } | undefined => {
    if (!isNode(n, 'Subscript') || !isNode(n.value, 'Subscript') || dottedName(n.value.value) !== variable) return undefined;
    const field = stringOf(n.value.slice);
    const key = stringOf(n.slice);
    return field && key ? { field, key } : undefined;
  };
  for (const n of walk(fn)) {
    if (isNode(n, 'Assign')) {
      const t = target((n.targets as PyNode[])[0]);
      if (!t) continue;
      const value =
        dottedName(n.value) ?? (isNode(n.value, 'Call') ? dottedName((n.value.args as PyNode[])[0] ?? n.value.func) : undefined);
      if (t.key === 'type' && value?.includes('json.loads'))
        add(t.field, (k) => ((k.type = 'json'), (k.takes = k.takes === 'many' ? 'one' : k.takes)));
      if (t.key === 'action' && stringOf(n.value) === 'append') add(t.field, (k) => ((k.takes = 'one'), (k.type = 'str')));
    }
    if (isNode(n, 'Delete'))
      for (const d of n.targets as PyNode[]) {
        const t = target(d);
        if (t?.key === 'nargs') add(t.field, (k) => (k.takes = k.takes === 'many' ? 'one' : k.takes));
      }
    if (isNode(n, 'Call') && isNode(n.func, 'Attribute') && n.func.attr === 'remove') {
      const t = target(n.func.value);
      const removed = stringOf((n.args as PyNode[])[0]);
      if (t?.key === 'choices' && removed) add(t.field, (k) => (k.choices = k.choices?.filter((c) => c !== removed)));
    }
  }
  return out;
}

/** The kwargs an add_argument call spreads in: `**x_kwargs["f"]`, or `**{**x_kwargs["f"], "default": …}`. */
function kwargsAt(call: PyNode, fieldOf: (spread: PyNode) => FieldKwargs | undefined): FieldKwargs {
  const k: FieldKwargs = { takes: 'one', type: 'str' };
  for (const kw of call.keywords as PyNode[]) {
    if (kw.arg !== null) continue;
    const v = kw.value as PyNode;
    const spreads = isNode(v, 'Dict') ? (v.values as PyNode[]).filter((_, i) => (v.keys as unknown[])[i] === null) : [v];
    for (const s of spreads) if (isNode(s, 'Subscript')) Object.assign(k, fieldOf(s));
  }
  return k;
}

/** The keyword arguments of a call, those in a spread dict literal included. */
function keywordsOf(call: PyNode): { arg: string; value: PyNode }[] {
  return (call.keywords as PyNode[]).flatMap((kw) => {
    const v = kw.value as PyNode;
    if (kw.arg !== null) return [{ arg: kw.arg as string, value: v }];
    if (!isNode(v, 'Dict')) return [];
    return (v.keys as unknown[]).flatMap((key, i) => (stringOf(key) ? [{ arg: stringOf(key)!, value: (v.values as PyNode[])[i]! }] : []));
  });
}

/** Keyword arguments written at the call (they win over `**kwargs`). */
function applyExplicit(call: PyNode, k: FieldKwargs): void {
  for (const kw of keywordsOf(call)) {
    const v = kw.value;
    const action = stringOf(v) ?? dottedName(v) ?? '';
    if (kw.arg === 'action') {
      if (action === 'store_true' || action === 'store_false') Object.assign(k, { takes: 'none', type: 'bool' });
      else if (action.endsWith('BooleanOptionalAction')) Object.assign(k, { takes: 'bool', type: 'bool' });
    }
    if (kw.arg === 'type') {
      const t = dottedName(v) ?? '';
      k.type = t === 'int' ? 'int' : t === 'float' ? 'float' : t.includes('json') ? 'json' : 'str';
    }
    if (kw.arg === 'nargs') {
      const n = (v as PyNode).value;
      k.takes = n === '+' || n === '*' ? 'many' : n === '?' ? 'optional' : k.takes;
    }
    if (kw.arg === 'choices' && isNode(v, 'List')) k.choices = (v.elts as PyNode[]).map((e) => String((e as PyNode).value));
  }
}

export interface FlagSources {
  argUtils: PyNode;
  cliArgs: PyNode;
  argUtilsFile: string;
  cliArgsFile: string;
  hints: TypeHints;
}

/** Every flag `vllm serve` registers, by its names. */
export function serveFlags(src: FlagSources): CliFlag[] {
  const human = humanInts(src.argUtils);
  const flags: CliFlag[] = [];
  const fieldKwargs = (module: string, cls: string) =>
    new Map(dataclassFields(src.hints, module, cls).map((f) => [f.name, kwargsOf(src.hints.atoms(f.annotation, f.module), f.name, human)]));

  const visit = (fn: PyNode, module: string, ownClass?: string) => {
    const kwargVars = new Map<string, Map<string, FieldKwargs>>();
    for (const n of walk(fn)) {
      if (!isNode(n, 'Assign') || !isNode(n.value, 'Call') || dottedName(n.value.func) !== 'get_kwargs') continue;
      const arg = dottedName((n.value.args as PyNode[])[0]) ?? '';
      const cls = arg === 'cls' && ownClass ? ownClass : arg;
      const name = dottedName((n.targets as PyNode[])[0])!;
      const kwargs = fieldKwargs(module, cls);
      for (const [field, ms] of mutationsIn(fn, name)) for (const m of ms) if (kwargs.get(field)) m(kwargs.get(field)!);
      kwargVars.set(name, kwargs);
    }
    for (const n of walk(fn)) {
      if (isNode(n, 'For') && isNode(n.iter, 'Call') && isNode(n.iter.func, 'Attribute') && n.iter.func.attr === 'items') {
        const kwargs = kwargVars.get(dottedName(n.iter.func.value) ?? '');
        if (kwargs) for (const [field, k] of kwargs) flags.push({ names: [kebab(field)], ...k });
      }
      if (!isNode(n, 'Call') || !isNode(n.func, 'Attribute') || n.func.attr !== 'add_argument') continue;
      const names = (n.args as PyNode[]).map(stringOf).filter((s): s is string => s !== undefined);
      if (names.length === 0) continue;
      const k = kwargsAt(n, (spread) => kwargVars.get(dottedName(spread.value) ?? '')?.get(stringOf(spread.slice) ?? ''));
      applyExplicit(n, k);
      flags.push(names[0]!.startsWith('-') ? { names, ...k } : { names, ...k, positional: true });
    }
  };

  const fn = (tree: PyNode, name: string, inClass?: string) => {
    const scope = inClass ? [...walk(tree)].find((c) => isNode(c, 'ClassDef') && c.name === inClass) : tree;
    return ((scope?.body as PyNode[]) ?? []).find((s) => isNode(s, 'FunctionDef') && s.name === name);
  };
  const cli = moduleOf(src.cliArgsFile);
  const engine = moduleOf(src.argUtilsFile);
  const customize = (cls: string) => fn(src.cliArgs, '_customize_cli_kwargs', cls);
  visit(fn(src.cliArgs, 'make_arg_parser')!, cli);
  // FrontendArgs.add_cli_args is inherited from BaseFrontendArgs; both classes' _customize_cli_kwargs apply.
  const frontend = {
    _type: 'Module',
    body: [fn(src.cliArgs, 'add_cli_args', 'BaseFrontendArgs'), customize('BaseFrontendArgs'), customize('FrontendArgs')],
  };
  visit(frontend as PyNode, cli, 'FrontendArgs');
  visit(fn(src.argUtils, 'add_cli_args', 'EngineArgs')!, engine);
  visit(fn(src.argUtils, 'add_cli_args', 'AsyncEngineArgs')!, engine);
  return flags;
}
