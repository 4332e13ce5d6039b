/**
 * Python's own parser, over the source files of a wheel that is never installed or imported:
 * `python3` reads them out of the zip and prints their syntax trees as JSON, which the
 * TypeScript side interprets. Only the parsing is Python; what the trees mean is decided here.
 */
import { run } from '../stack/exec';

/** A Python syntax-tree node: `_type` is its class (Call, Name, Constant, …), the rest its fields. */
export interface PyNode {
  _type: string;
  [field: string]: unknown;
}

/** Whole trees of some files; top-level declarations only (no function bodies) of others. */
export interface WheelAst {
  full: Record<string, PyNode>;
  declarations: Record<string, PyNode>;
}

const DUMPER = String.raw`
import ast, json, sys, zipfile
wheel, full, decl = sys.argv[1], set(json.loads(sys.argv[2])), set(json.loads(sys.argv[3]))
def node(n):
    if isinstance(n, ast.AST):
        d = {"_type": type(n).__name__}
        for f in n._fields:
            d[f] = node(getattr(n, f, None))
        return d
    if isinstance(n, list):
        return [node(x) for x in n]
    if isinstance(n, (str, int, float, bool)) or n is None:
        return n
    return repr(n)
def flatten(body):
    # Declarations under "if TYPE_CHECKING:" or "try:" at module level count as top level.
    out = []
    for s in body:
        if isinstance(s, ast.If):
            out += flatten(s.body) + flatten(s.orelse)
        elif isinstance(s, ast.Try):
            out += flatten(s.body) + flatten([h for x in s.handlers for h in x.body])
        else:
            out.append(s)
    return out
def declarations(tree):
    tree.body = flatten(tree.body)
    for stmt in tree.body:
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                sub.body = []
    tree.body = [s for s in tree.body if isinstance(s, (ast.Assign, ast.AnnAssign, ast.ClassDef, ast.ImportFrom))]
    return tree
out = {"full": {}, "declarations": {}}
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name not in full and name not in decl:
            continue
        tree = ast.parse(z.read(name), name)
        if name in full:
            out["full"][name] = node(tree)
        else:
            out["declarations"][name] = node(declarations(tree))
json.dump(out, sys.stdout)
`;

async function dump(wheel: string, full: readonly string[], declarations: readonly string[]): Promise<WheelAst> {
  const json = await run('python3', ['-c', DUMPER, wheel, JSON.stringify(full), JSON.stringify(declarations)]);
  return JSON.parse(json) as WheelAst;
}

/** The files of a module (`a.b` is `a/b.py` or `a/b/__init__.py`). */
const filesOf = (module: string) => [`${module.replace(/\./g, '/')}.py`, `${module.replace(/\./g, '/')}/__init__.py`];

/** Module names a tree imports from (absolute or relative to `file`), within `pkg`. */
function importedModules(tree: PyNode, file: string, pkg: string): string[] {
  const parts = file.replace(/\.py$/, '').split('/');
  const here = parts[parts.length - 1] === '__init__' ? parts.slice(0, -1) : parts.slice(0, -1);
  const out: string[] = [];
  for (const stmt of topLevel(tree)) {
    if (!isNode(stmt, 'ImportFrom')) continue;
    const level = (stmt.level as number) ?? 0;
    const base = level > 0 ? here.slice(0, here.length - (level - 1)).join('.') : '';
    const from = [base, (stmt.module as string | null) ?? ''].filter(Boolean).join('.');
    if (from !== pkg && !from.startsWith(`${pkg}.`)) continue;
    out.push(from);
    for (const alias of stmt.names as PyNode[]) out.push(`${from}.${alias.name as string}`); // `from a import submodule`
  }
  return out;
}

/**
 * Parses `full` whole, and the top-level declarations of every module they import from, and
 * what those import, up to `depth` rounds: enough to resolve a name to where it is declared.
 */
export async function parseWheel(wheel: string, pkg: string, full: readonly string[], depth = 6): Promise<WheelAst> {
  const members = new Set(
    (await run('python3', ['-c', 'import sys,zipfile;print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', wheel])).split('\n'),
  );
  const result: WheelAst = await dump(wheel, full, []);
  let frontier = Object.entries(result.full);
  for (let round = 0; round < depth && frontier.length > 0; round++) {
    const wanted = new Set(
      frontier
        .flatMap(([file, tree]) => importedModules(tree, file, pkg).flatMap(filesOf))
        .filter((f) => members.has(f) && !result.full[f] && !result.declarations[f]),
    );
    if (wanted.size === 0) break;
    const next = await dump(wheel, [], [...wanted]);
    Object.assign(result.declarations, next.declarations);
    frontier = Object.entries(next.declarations);
  }
  return result;
}

/** A node whose type was checked (a distinct type, so a failed check does not narrow a PyNode to never). */
export interface CheckedNode extends PyNode {
  readonly _checked: true;
}

export const isNode = (v: unknown, type?: string): v is CheckedNode =>
  typeof v === 'object' && v !== null && '_type' in v && (type === undefined || (v as PyNode)._type === type);

/** Every node under `root` (depth first, root included). */
export function* walk(root: unknown): Generator<PyNode> {
  if (Array.isArray(root)) {
    for (const item of root) yield* walk(item);
    return;
  }
  if (!isNode(root)) return;
  yield root;
  for (const [k, v] of Object.entries(root)) if (k !== '_type') yield* walk(v);
}

/** The string value of a Constant node, or undefined. */
export const stringOf = (n: unknown): string | undefined => (isNode(n, 'Constant') && typeof n.value === 'string' ? n.value : undefined);

/** `a.b.c` for Name/Attribute chains. */
export function dottedName(n: unknown): string | undefined {
  if (isNode(n, 'Name')) return n.id as string;
  if (isNode(n, 'Attribute')) {
    const base = dottedName(n.value);
    return base === undefined ? undefined : `${base}.${n.attr as string}`;
  }
  return undefined;
}

/** A module's top-level statements, those under module-level `if` (TYPE_CHECKING) and `try` included. */
export function topLevel(tree: PyNode): PyNode[] {
  const out: PyNode[] = [];
  const visit = (body: unknown) => {
    for (const s of (body as PyNode[]) ?? []) {
      if (isNode(s, 'If')) {
        visit(s.body);
        visit(s.orelse);
      } else if (isNode(s, 'Try')) {
        visit(s.body);
        for (const h of s.handlers as PyNode[]) visit(h.body);
      } else out.push(s);
    }
  };
  visit(tree.body);
  return out;
}
