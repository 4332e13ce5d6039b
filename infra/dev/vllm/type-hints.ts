/**
 * What a Python type annotation of vLLM's config dataclasses means for its command-line flag,
 * resolved through the package's own declarations (aliases such as `QuantizationMethods =
 * Literal[...]`, imports, classes) without running any of it.
 */
import { dottedName, isNode, topLevel, type PyNode } from './python-ast';

export type HintAtom =
  | { kind: 'bool' | 'int' | 'float' | 'str' | 'none' | 'dict' | 'dataclass' | 'other' }
  | { kind: 'literal'; values: (string | number | boolean)[] }
  | { kind: 'list' | 'tuple' | 'set'; ellipsis: boolean };

interface ModuleIndex {
  /** Top-level names: assignments (aliases), classes and imports of one module. */
  names: Map<string, PyNode>;
  imports: Map<string, { module: string; name: string }>;
}

const BUILTINS: Record<string, 'bool' | 'int' | 'float' | 'str' | 'dict' | 'other'> = {
  bool: 'bool',
  int: 'int',
  float: 'float',
  str: 'str',
  dict: 'dict',
  Any: 'other',
};
const COLLECTIONS = new Set(['list', 'tuple', 'set', 'List', 'Tuple', 'Set', 'Sequence']);
const DATACLASS_DECORATORS = new Set(['dataclass', 'config', 'pydantic.dataclasses.dataclass', 'dataclasses.dataclass']);

/** Resolves names across the modules of a package (by their top-level declarations). */
export class TypeHints {
  private readonly modules = new Map<string, ModuleIndex>();

  constructor(trees: Record<string, PyNode>) {
    for (const [file, tree] of Object.entries(trees)) this.modules.set(moduleOf(file), indexModule(tree, moduleOf(file)));
  }

  /** The class declared as `name` in (or imported into) `module`. */
  classDef(module: string, name: string): { module: string; node: PyNode } | undefined {
    const found = this.lookup(module, name);
    return found && isNode(found.node, 'ClassDef') ? found : undefined;
  }

  /** The atoms of an annotation, as `typing.get_type_hints` + vLLM's `get_type_hints` would flatten it. */
  atoms(hint: unknown, module: string, depth = 0): HintAtom[] {
    if (depth > 20 || !isNode(hint)) return [{ kind: 'other' }];
    switch (hint._type) {
      case 'Constant':
        if (hint.value === null) return [{ kind: 'none' }];
        // A string annotation is a forward reference to a name.
        return typeof hint.value === 'string' ? this.named(hint.value, module, depth) : [{ kind: 'other' }];
      case 'BinOp':
        return [...this.atoms(hint.left, module, depth + 1), ...this.atoms(hint.right, module, depth + 1)];
      case 'Name':
      case 'Attribute':
        return this.named(dottedName(hint) ?? '', module, depth);
      case 'Subscript':
        return this.subscript(hint, module, depth);
      default:
        return [{ kind: 'other' }];
    }
  }

  private subscript(hint: PyNode, module: string, depth: number): HintAtom[] {
    const head = (dottedName(hint.value) ?? '').split('.').pop()!;
    const args = isNode(hint.slice, 'Tuple') ? (hint.slice.elts as PyNode[]) : [hint.slice as PyNode];
    if (head === 'Literal') {
      const values = args.flatMap((a) =>
        isNode(a, 'Constant') && a.value !== null ? [a.value as string | number | boolean] : this.literalValues(a, module, depth),
      );
      return [{ kind: 'literal', values }];
    }
    if (head === 'Optional') return [...this.atoms(args[0], module, depth + 1), { kind: 'none' }];
    if (head === 'Union') return args.flatMap((a) => this.atoms(a, module, depth + 1));
    if (head === 'Annotated') return this.atoms(args[0], module, depth + 1);
    if (COLLECTIONS.has(head)) {
      const kind = head.toLowerCase() === 'tuple' ? 'tuple' : head.toLowerCase() === 'set' ? 'set' : 'list';
      return [
        {
          kind,
          ellipsis:
            args.some((a) => isNode(a, 'Constant') && a.value === '...') ||
            args.some((a) => isNode(a, 'Constant') && a.value === 'Ellipsis'),
        },
      ];
    }
    if (head === 'dict' || head === 'Dict' || head === 'Mapping') return [{ kind: 'dict' }];
    if (head === 'type') return [{ kind: 'other' }];
    return this.named(head, module, depth);
  }

  /** Literal[Alias, ...]: an alias of a Literal inside a Literal contributes its values. */
  private literalValues(node: PyNode, module: string, depth: number): (string | number | boolean)[] {
    return this.atoms(node, module, depth + 1).flatMap((a) => (a.kind === 'literal' ? a.values : []));
  }

  private named(name: string, module: string, depth: number): HintAtom[] {
    const short = name.split('.').pop()!;
    if (name === 'None') return [{ kind: 'none' }];
    const builtin = BUILTINS[short];
    if (builtin && !this.lookup(module, short)) return [{ kind: builtin }];
    const found = this.lookup(module, short);
    if (!found) return [{ kind: 'other' }];
    const node = found.node;
    if (isNode(node, 'ClassDef')) return [{ kind: classKind(node) }];
    // An alias: `X = Literal[...]`, `X: TypeAlias = ...`, or `X = Union[...]`.
    const value = node.value;
    if (isNode(value, 'Call') && dottedName(value.func)?.endsWith('TypeVar')) return [{ kind: 'other' }];
    return this.atoms(value, found.module, depth + 1);
  }

  private lookup(module: string, name: string, depth = 0): { module: string; node: PyNode } | undefined {
    const index = this.modules.get(module) ?? this.modules.get(`${module}.__init__`);
    if (!index || depth > 10) return undefined;
    const local = index.names.get(name);
    if (local) return { module, node: local };
    const imported = index.imports.get(name);
    return imported ? this.lookup(imported.module, imported.name, depth + 1) : undefined;
  }
}

function classKind(node: PyNode): 'dataclass' | 'dict' | 'str' | 'other' {
  const bases = (node.bases as PyNode[]).map((b) => dottedName(isNode(b, 'Subscript') ? b.value : b) ?? '');
  if (bases.some((b) => b === 'dict' || b.endsWith('TypedDict') || b === 'Dict')) return 'dict';
  if (bases.some((b) => b === 'str' || b.endsWith('StrEnum'))) return 'str';
  const decorators = (node.decorator_list as PyNode[]).map((d) => dottedName(isNode(d, 'Call') ? d.func : d) ?? '');
  return decorators.some((d) => DATACLASS_DECORATORS.has(d)) ? 'dataclass' : 'other';
}

export const moduleOf = (file: string) => file.replace(/\.py$/, '').replace(/\//g, '.');

function indexModule(tree: PyNode, module: string): ModuleIndex {
  const names = new Map<string, PyNode>();
  const imports = new Map<string, { module: string; name: string }>();
  const pkg = module.endsWith('.__init__') ? module.slice(0, -'.__init__'.length) : module.split('.').slice(0, -1).join('.');
  for (const stmt of topLevel(tree)) {
    if (isNode(stmt, 'ClassDef')) names.set(stmt.name as string, stmt);
    else if (isNode(stmt, 'Assign'))
      for (const t of stmt.targets as PyNode[]) {
        if (isNode(t, 'Name')) names.set(t.id as string, stmt);
      }
    else if (isNode(stmt, 'AnnAssign') && isNode(stmt.target, 'Name') && stmt.value) names.set(stmt.target.id as string, stmt);
    else if (isNode(stmt, 'ImportFrom')) {
      const level = (stmt.level as number) ?? 0;
      const base =
        level > 0
          ? pkg
              .split('.')
              .slice(0, pkg.split('.').length - (level - 1))
              .join('.')
          : '';
      const from = [base, (stmt.module as string | null) ?? ''].filter(Boolean).join('.');
      for (const alias of stmt.names as PyNode[]) {
        const name = alias.name as string;
        imports.set((alias.asname as string | null) ?? name, { module: from, name });
      }
    }
  }
  return { names, imports };
}

/** The annotated fields of a dataclass, its bases' first (as `dataclasses.fields` orders them). */
export function dataclassFields(
  hints: TypeHints,
  module: string,
  className: string,
  seen = new Set<string>(),
): { name: string; annotation: PyNode; module: string }[] {
  const cls = hints.classDef(module, className);
  if (!cls || seen.has(`${cls.module}.${className}`)) return [];
  seen.add(`${cls.module}.${className}`);
  const inherited = (cls.node.bases as PyNode[]).flatMap((b) => {
    const name = dottedName(b);
    return name ? dataclassFields(hints, cls.module, name.split('.').pop()!, seen) : [];
  });
  const own = (cls.node.body as PyNode[]).flatMap((s) =>
    isNode(s, 'AnnAssign') && isNode(s.target, 'Name') && !isClassVar(s.annotation)
      ? [{ name: s.target.id as string, annotation: s.annotation as PyNode, module: cls.module }]
      : [],
  );
  const byName = new Map([...inherited, ...own].map((f) => [f.name, f]));
  return [...byName.values()];
}

const isClassVar = (annotation: unknown) =>
  (dottedName(isNode(annotation, 'Subscript') ? annotation.value : annotation) ?? '').endsWith('ClassVar');
