/**
 * A small import-graph library for the architecture tests (./architecture.test.ts): it reads
 * every `.ts` and `.svelte` file under `src/`, collects every import edge, and checks the
 * layering rules on the result. The rules live here as pure functions (graph in, violation
 * messages out) so that ./import-graph.test.ts can show each one failing on crafted files;
 * a check that cannot fail proves nothing.
 *
 * Imports are found with the TypeScript parser (already a dev dependency) rather than regexes:
 * it knows comments, strings and template literals, tells `import type` from `import`, and
 * tells a type-position `import('./x.ts').T` from a runtime `import('./x.ts')`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** How an edge was written; kept so that failure messages say what to look for in the file. */
export type ImportKind =
  | 'import' // import x from '…', import { a } from '…', import type … from '…'
  | 'side-effect' // import '…'
  | 'export' // export … from '…', export * from '…'
  | 'dynamic' // import('…') as an expression
  | 'type-query' // import('…').T in a type position
  | 'require'; // import x = require('…')

/** One import statement as written in a file, before resolution. */
export interface RawImport {
  specifier: string;
  /** 1-based line in the original file (for .svelte: the whole file, not the script block). */
  line: number;
  kind: ImportKind;
  /** True when the edge vanishes at runtime: nothing from it survives compilation. */
  typeOnly: boolean;
}

/** One import edge between repo-relative files (POSIX separators, e.g. `src/core/errors.ts`). */
export interface ImportEdge extends RawImport {
  from: string;
  /** Package import (specifier not starting with '.'); the checks ignore these. */
  external: boolean;
  /** Repo-relative target for relative imports (the best guess when it does not exist); null for packages. */
  target: string | null;
  /** Whether `target` is an existing file: a refactor in progress may leave dangling imports. */
  resolved: boolean;
}

export interface ImportGraph {
  /** Every parsed source file, repo-relative, sorted. */
  files: string[];
  edges: ImportEdge[];
}

/**
 * The `<script>` blocks of a Svelte component, with everything else (markup, style, the script
 * tags themselves) replaced by spaces. Newlines are kept, so positions and line numbers in the
 * result are those of the original file and messages point at the right line.
 */
export function svelteScriptView(source: string): string {
  const out: string[] = [];
  let last = 0;
  for (const m of source.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script\s*>/gi)) {
    const start = m.index + m[1]!.length;
    out.push(blank(source.slice(last, start)), m[2]!);
    last = start + m[2]!.length;
  }
  out.push(blank(source.slice(last)));
  return out.join('');
}

/** Same length, every character but newlines turned into a space. */
function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/** Every import of one file's source text; `fileName` only decides how to read it (.svelte or not). */
export function parseImports(source: string, fileName: string): RawImport[] {
  const code = fileName.endsWith('.svelte') ? svelteScriptView(source) : source;
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: RawImport[] = [];
  const add = (spec: ts.Expression | undefined, at: ts.Node, kind: ImportKind, typeOnly: boolean): void => {
    if (!spec || !ts.isStringLiteralLike(spec)) return; // computed specifiers cannot be followed statically
    const line = sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1;
    found.push({ specifier: spec.text, line, kind, typeOnly });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (!clause) add(node.moduleSpecifier, node, 'side-effect', false);
      else add(node.moduleSpecifier, node, 'import', isTypeOnlyImportClause(clause));
    } else if (ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) add(node.moduleSpecifier, node, 'export', isTypeOnlyExport(node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node, 'require', node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], node, 'dynamic', false);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, node, 'type-query', true);
    }
    // `new URL('./x.worker.ts', import.meta.url)` is a NewExpression, not one of the above: a
    // worker or asset reference runs in its own module graph, so it is deliberately no edge.
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/**
 * `import type …`, or named bindings that are all `type X` with no default or namespace import.
 * (With verbatimModuleSyntax, `import { type A } from './a.ts'` compiles to `import {} from
 * './a.ts'`, which still loads the module; the rules here count it as type-only all the same,
 * since no value crosses the edge.)
 */
function isTypeOnlyImportClause(clause: ts.ImportClause): boolean {
  if (clause.isTypeOnly) return true;
  if (clause.name) return false; // a default import is a value
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** `export type … from`, or `export { type A, type B } from`; `export *` is a runtime edge. */
function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  if (!clause || !ts.isNamedExports(clause)) return false;
  return clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

// ---------------------------------------------------------------------------------------------
// Resolution and the graph
// ---------------------------------------------------------------------------------------------

/**
 * Where a relative specifier in `fromFile` points, repo-relative. The project imports with
 * explicit extensions (`./x.ts`, `./X.svelte`, `./x.svelte.ts`); `.js` written for a `.ts` file,
 * extension-less paths and directory `index.ts` are accepted too. Query and hash suffixes
 * (`?url`, `?worker`) are dropped. When nothing exists the joined path is still returned, so
 * a dangling import into a forbidden folder is still reported by the rules.
 */
export function resolveSpecifier(
  fromFile: string,
  specifier: string,
  isFile: (repoPath: string) => boolean,
): { target: string; resolved: boolean } {
  const bare = specifier.replace(/[?#].*$/, '');
  const base = posix.normalize(posix.join(posix.dirname(fromFile), bare)).replace(/\/$/, '');
  const candidates = [base];
  if (base.endsWith('.js')) candidates.push(`${base.slice(0, -3)}.ts`);
  candidates.push(`${base}.ts`, `${base}/index.ts`);
  const hit = candidates.find(isFile);
  return hit ? { target: hit, resolved: true } : { target: base, resolved: false };
}

/** Every `.ts` and `.svelte` file under `root/dir`, repo-relative (relative to `root`), sorted. */
export function listSourceFiles(root: string, dir = 'src'): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && (entry.name.endsWith('.ts') || entry.name.endsWith('.svelte'))) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** Parses every source file under `root/src` into one graph. */
export function buildImportGraph(root: string, dir = 'src'): ImportGraph {
  const files = listSourceFiles(root, dir);
  const isFile = (p: string): boolean => existsSync(join(root, p)) && statSync(join(root, p)).isFile();
  const edges: ImportEdge[] = [];
  for (const from of files) {
    for (const raw of parseImports(readFileSync(join(root, from), 'utf8'), from)) {
      if (!raw.specifier.startsWith('.')) {
        edges.push({ ...raw, from, external: true, target: null, resolved: false });
        continue;
      }
      edges.push({ ...raw, from, external: false, ...resolveSpecifier(from, raw.specifier, isFile) });
    }
  }
  return { files, edges };
}

/** Edges between project files (packages left out), the only ones the rules look at. */
function internalEdges(graph: ImportGraph): (ImportEdge & { target: string })[] {
  return graph.edges.filter((e): e is ImportEdge & { target: string } => !e.external && e.target !== null);
}

/** `src/a.ts:12 (import type) '../b.ts' -> src/b.ts`: enough to find the line and see the target. */
export function describeEdge(e: ImportEdge): string {
  const how = `${e.kind}${e.typeOnly && e.kind !== 'type-query' ? ', type-only' : ''}`;
  const missing = e.resolved || e.external ? '' : ' (file does not exist)';
  return `${e.from}:${e.line} (${how}) '${e.specifier}' -> ${e.target ?? e.specifier}${missing}`;
}

// ---------------------------------------------------------------------------------------------
// Rule (a): the engine does not depend on the worker, the UI, the CLI or Svelte
// ---------------------------------------------------------------------------------------------

/** src/core must run unchanged in a worker and in Node, so it may not reach into the hosts. */
export function coreLayeringViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const e of internalEdges(graph)) {
    if (!e.from.startsWith('src/core/')) continue;
    const host = /^src\/(worker|ui|cli)\//.exec(e.target);
    if (host) out.push(`${describeEdge(e)}: src/core must not import from src/${host[1]}/`);
    // Rune modules (.svelte.ts / .svelte.js) need the Svelte compiler just like components do.
    else if (/\.svelte(\.[jt]s)?$/.test(e.target)) out.push(`${describeEdge(e)}: src/core must not import Svelte files`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule (b): a format folder is used only through its index.ts
// ---------------------------------------------------------------------------------------------

/**
 * `src/core/formats/<fmt>/…` may be imported from outside the folder only as its `index.ts`,
 * except by the same format's per-area folders (`src/{worker,ui,cli}/formats/<fmt>/…`), which
 * are that format's code living next to their host. Type-only imports count: a type reached
 * around the index is still a dependency on the folder's layout.
 */
export function formatEncapsulationViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const e of internalEdges(graph)) {
    const m = /^src\/core\/formats\/([^/]+)\/(.+)$/.exec(e.target);
    if (!m) continue;
    const [, fmt, rest] = m;
    if (e.from.startsWith(`src/core/formats/${fmt}/`)) continue; // inside the folder
    if (rest === 'index.ts') continue; // the public face
    if (new RegExp(`^src/(worker|ui|cli)/formats/${escapeRegExp(fmt!)}/`).test(e.from)) continue;
    out.push(`${describeEdge(e)}: import src/core/formats/${fmt}/index.ts instead (format '${fmt}' is private outside its folders)`);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Rule (c): no import cycles inside src/core
// ---------------------------------------------------------------------------------------------

/** A strongly connected component of size > 1, or a file importing itself, with the edges inside it. */
export interface Cycle {
  files: string[];
  /** Every edge between members: breaking the cycle means removing (or inverting) some of these. */
  edges: ImportEdge[];
}

/**
 * Cycles among the files accepted by `include` (by default src/core), over the edges accepted by
 * `useEdge` (e.g. runtime edges only). Tarjan's algorithm, iterative so that a long import chain
 * cannot overflow the stack; components and their files come out sorted so output is stable.
 */
export function findCycles(
  graph: ImportGraph,
  useEdge: (e: ImportEdge) => boolean,
  include: (file: string) => boolean = (f) => f.startsWith('src/core/'),
): Cycle[] {
  const nodes = graph.files.filter(include);
  const inGraph = new Set(nodes);
  const edges = internalEdges(graph).filter((e) => e.resolved && inGraph.has(e.from) && inGraph.has(e.target) && useEdge(e));
  const succ = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) succ.get(e.from)!.push(e.target);

  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of nodes) {
    if (index.has(root)) continue;
    // Each frame: a node and the position of the next successor to look at.
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const next = succ.get(frame.node)![frame.next++];
      if (next !== undefined) {
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          frames.push({ node: next, next: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(next)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }

  const cycles: Cycle[] = [];
  for (const component of components) {
    const members = new Set(component);
    const inner = edges.filter((e) => members.has(e.from) && members.has(e.target));
    const selfLoop = component.length === 1 && inner.length > 0;
    if (component.length > 1 || selfLoop) cycles.push({ files: component.sort(), edges: inner });
  }
  return cycles.sort((a, b) => (a.files[0]! < b.files[0]! ? -1 : 1));
}

/** One block per cycle: its files, then the edges inside it (the candidates to cut). */
export function describeCycles(cycles: Cycle[]): string {
  return cycles
    .map((c, i) => {
      const head = c.files.length === 1 ? `cycle ${i + 1}: ${c.files[0]} imports itself` : `cycle ${i + 1} (${c.files.length} files): ${c.files.join(', ')}`;
      return [head, ...c.edges.map((e) => `    ${describeEdge(e)}`)].join('\n');
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Rule (d): format names are spelled only in their own format's folders
// ---------------------------------------------------------------------------------------------

/** The format folder each spelled name belongs to. */
export const FORMAT_NAME_OWNER: Readonly<Record<string, string>> = {
  estargz: 'estargz',
  stargz: 'estargz',
  nydus: 'nydus',
  'zstd-chunked': 'zstd-chunked',
  'zstd:chunked': 'zstd-chunked',
  soci: 'soci',
};

/** A quoted format name: the whole string literal is the name, in any of the three quotes. */
const FORMAT_LITERAL = /(['"`])(estargz|nydus|zstd-chunked|zstd:chunked|stargz|soci)\1/g;

/** JS keywords after which a `/` starts a regex literal rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

/**
 * JS/TS source with every comment replaced by spaces (newlines kept, so offsets and line
 * numbers do not move) and everything else untouched. A small tokenizer rather than a regex:
 * `//` inside a string ('https://…'), a template literal or a regex literal is not a comment,
 * and a quote inside a comment does not open a string. Template literals with `${…}` nest.
 * Regex literals are told from division by the previous token, the usual heuristic.
 */
export function stripComments(code: string): string {
  const out = code.split('');
  const n = code.length;
  // One entry per open `${` of a template literal: the depth of plain `{` inside it.
  const templates: number[] = [];
  // Whether the last token ends an expression (then `/` divides) or not (then `/` starts a regex).
  let afterValue = false;
  let i = 0;

  const blankRange = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Scans template text from i (just past a backtick or a closing `}` of `${`) to the closing
  // backtick (returns past it) or to the next `${` (pushes a level, returns past it).
  const scanTemplate = (): void => {
    while (i < n) {
      const c = code[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        afterValue = true;
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        i += 2;
        templates.push(0);
        afterValue = false;
        return;
      } else i++;
    }
  };

  while (i < n) {
    const c = code[i]!;
    const next = code[i + 1];
    if (c === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blankRange(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blankRange(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && code[i] !== c && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
      i++;
      afterValue = true;
    } else if (c === '`') {
      i++;
      scanTemplate();
    } else if (c === '}' && templates.length && templates[templates.length - 1] === 0) {
      templates.pop(); // end of `${…}`: back into the template text
      i++;
      scanTemplate();
    } else if (c === '/' && !afterValue) {
      // Regex literal: up to the unescaped `/` outside a character class, then its flags.
      i++;
      let inClass = false;
      while (i < n && code[i] !== '\n') {
        const r = code[i];
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && /[a-z]/i.test(code[i]!)) i++;
      afterValue = true;
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$]/.test(code[i]!)) i++;
      afterValue = !KEYWORDS_BEFORE_EXPRESSION.has(code.slice(start, i));
    } else {
      if (c === '{' && templates.length) templates[templates.length - 1]!++;
      else if (c === '}' && templates.length) templates[templates.length - 1]!--;
      if (!/\s/.test(c)) afterValue = c === ')' || c === ']' || c === '}';
      i++;
    }
  }
  return out.join('');
}

/**
 * A Svelte component with comments blanked: JS comments in `<script>` blocks, CSS comments in
 * `<style>` blocks, `<!-- -->` in the markup. Markup text is left alone otherwise (an apostrophe
 * in "don't" must not be taken for the start of a string), and quoted names in it still count.
 */
export function stripSvelteComments(source: string): string {
  const pieces: string[] = [];
  let last = 0;
  const markup = (text: string): string => text.replace(/<!--[\s\S]*?-->/g, blank);
  for (const m of source.matchAll(/(<(script|style)\b[^>]*>)([\s\S]*?)(<\/\2\s*>)/gi)) {
    const bodyStart = m.index + m[1]!.length;
    const body = m[3]!;
    pieces.push(markup(source.slice(last, m.index)), m[1]!);
    pieces.push(m[2]!.toLowerCase() === 'script' ? stripComments(body) : body.replace(/\/\*[\s\S]*?\*\//g, blank));
    pieces.push(m[4]!);
    last = bodyStart + body.length + m[4]!.length;
  }
  pieces.push(markup(source.slice(last)));
  return pieces.join('');
}

export interface FormatLiteral {
  line: number;
  literal: string;
}

/** Every quoted format name in a file's code (comments ignored), with its 1-based line. */
export function findFormatLiterals(source: string, fileName: string): FormatLiteral[] {
  const code = fileName.endsWith('.svelte') ? stripSvelteComments(source) : stripComments(source);
  const found: FormatLiteral[] = [];
  // Matches come in order, so the line count is carried forward instead of recounted each time.
  let line = 1;
  let counted = 0;
  for (const m of code.matchAll(FORMAT_LITERAL)) {
    for (; counted < m.index; counted++) if (code[counted] === '\n') line++;
    found.push({ line, literal: m[0] });
  }
  return found;
}

/**
 * Whether `file` may spell the format name `name`: the registry may name any format; a format's
 * own folders (`src/core/formats/<fmt>/`, `src/{worker,ui,cli}/formats/<fmt>/`) may name that
 * format only. Everyone else asks the registry.
 */
export function mayNameFormat(file: string, name: string): boolean {
  if (file === 'src/core/formats/registry.ts') return true;
  const m = /^src\/(core|worker|ui|cli)\/formats\/([^/]+)\//.exec(file);
  return m !== null && m[2] === FORMAT_NAME_OWNER[name];
}

/** Every format-name literal outside the places allowed to spell it, over the files under `root/src`. */
export function formatLiteralViolations(root: string, files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const { line, literal } of findFormatLiterals(readFileSync(join(root, file), 'utf8'), file)) {
      const name = literal.slice(1, -1);
      if (mayNameFormat(file, name)) continue;
      const owner = FORMAT_NAME_OWNER[name];
      out.push(`${file}:${line} ${literal}: only src/core/formats/${owner}/, src/{worker,ui,cli}/formats/${owner}/ and src/core/formats/registry.ts may name this format`);
    }
  }
  return out;
}
