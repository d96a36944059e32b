/**
 * The architecture checks checked: each rule of ./import-graph.ts is run on crafted sources
 * and shown to fail where it must and to stay quiet where it must. Without this, a parser that
 * silently found no imports would make ./architecture.test.ts pass forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  buildImportGraph,
  coreLayeringViolations,
  findCycles,
  findFormatLiterals,
  formatEncapsulationViolations,
  formatLiteralViolations,
  parseImports,
  resolveSpecifier,
  stripComments,
  type ImportGraph,
} from './import-graph.ts';

describe('parseImports', () => {
  const code = [
    "import type { A } from './a.ts';", // 1 type-only
    "import { type B, type C } from './b.ts';", // 2 type-only: every binding is a type
    "import { type D, e } from './d.ts';", // 3 runtime: e is a value
    "import F, { type G } from './f.ts';", // 4 runtime: default import
    "import * as H from './h.ts';", // 5 runtime
    "import './side.ts';", // 6 side effect
    "export type { I } from './i.ts';", // 7 type-only
    "export * from './j.ts';", // 8 runtime
    "export { k, type L } from './k.ts';", // 9 runtime
    "const lazy = () => import('./lazy.ts');", // 10 dynamic
    "let t: import('./t.ts').T;", // 11 type position
    "const w = new Worker(new URL('./w.worker.ts', import.meta.url));", // 12 not an import
    "// import { z } from './commented.ts';", // 13 comment
    "const s = \"import { q } from './in-string.ts'\";", // 14 string
    "import { pkg } from 'some-package';", // 15 external, still parsed
    "const name = 'x'; await import(name);", // 16 computed: cannot be followed
  ].join('\n');
  const found = parseImports(code, 'src/core/x.ts');
  const bySpec = new Map(found.map((f) => [f.specifier, f]));

  it('finds exactly the real imports', () => {
    expect(found.map((f) => f.specifier)).toEqual([
      './a.ts', './b.ts', './d.ts', './f.ts', './h.ts', './side.ts', './i.ts', './j.ts', './k.ts', './lazy.ts', './t.ts', 'some-package',
    ]);
  });

  it('tells type-only edges from runtime ones', () => {
    const typeOnly = found.filter((f) => f.typeOnly).map((f) => f.specifier);
    expect(typeOnly).toEqual(['./a.ts', './b.ts', './i.ts', './t.ts']);
  });

  it('records kind and line', () => {
    expect(bySpec.get('./side.ts')).toMatchObject({ kind: 'side-effect', line: 6 });
    expect(bySpec.get('./j.ts')).toMatchObject({ kind: 'export', line: 8 });
    expect(bySpec.get('./lazy.ts')).toMatchObject({ kind: 'dynamic', line: 10, typeOnly: false });
    expect(bySpec.get('./t.ts')).toMatchObject({ kind: 'type-query', line: 11 });
  });

  it('reads only the <script> blocks of a .svelte file, with the file\'s line numbers', () => {
    const svelte = [
      '<script module lang="ts">', // 1
      "  import { m } from './module.ts';", // 2
      '</script>', // 3
      '<script lang="ts">', // 4
      "  import type { P } from './props.ts';", // 5
      "  import Child from './Child.svelte';", // 6
      '</script>', // 7
      "<p>import { no } from './markup.ts'; don't</p>", // 8
      '<style>p { color: red; }</style>', // 9
    ].join('\n');
    expect(parseImports(svelte, 'src/ui/X.svelte')).toEqual([
      { specifier: './module.ts', line: 2, kind: 'import', typeOnly: false },
      { specifier: './props.ts', line: 5, kind: 'import', typeOnly: true },
      { specifier: './Child.svelte', line: 6, kind: 'import', typeOnly: false },
    ]);
  });
});

describe('resolveSpecifier', () => {
  const files = new Set(['src/core/a.ts', 'src/core/dir/index.ts', 'src/ui/X.svelte', 'src/ui/s.svelte.ts']);
  const isFile = (p: string): boolean => files.has(p);
  it.each([
    ['src/core/b.ts', './a.ts', 'src/core/a.ts'],
    ['src/core/b.ts', './a.js', 'src/core/a.ts'],
    ['src/core/b.ts', './a', 'src/core/a.ts'],
    ['src/core/b.ts', './dir', 'src/core/dir/index.ts'],
    ['src/core/b.ts', './dir/', 'src/core/dir/index.ts'],
    ['src/core/sub/c.ts', '../../ui/X.svelte', 'src/ui/X.svelte'],
    ['src/ui/Y.svelte', './s.svelte.js', 'src/ui/s.svelte.ts'],
    ['src/core/b.ts', './a.ts?url', 'src/core/a.ts'],
  ])('%s: %s -> %s', (from, spec, target) => {
    expect(resolveSpecifier(from, spec, isFile)).toEqual({ target, resolved: true });
  });
  it('keeps the joined path of a dangling import, marked unresolved', () => {
    expect(resolveSpecifier('src/core/b.ts', '../ui/gone.ts', isFile)).toEqual({ target: 'src/ui/gone.ts', resolved: false });
  });
});

describe('stripComments and findFormatLiterals', () => {
  it('blanks comments but keeps strings, template literals and regex literals', () => {
    const code = [
      "const url = 'https://example.com//nydus'; const k = 'soci';", // `//` in a string is no comment
      "// 'estargz' in a line comment",
      "/* 'stargz'", // a block comment over two lines, line numbers kept
      "   \"nydus\" */ const z = `zstd:chunked`;",
      'const t = `a ${"b" + `c ${\'nydus\'}`} // not a comment`; const r = /\\/\\/[\'"]/g; const after = "estargz";',
      "const d = a / b; const e = 'x' // 'soci'",
    ].join('\n');
    const stripped = stripComments(code);
    expect(stripped.length).toBe(code.length);
    expect(stripped.split('\n').length).toBe(code.split('\n').length);
    expect(stripped).toContain("'https://example.com//nydus'");
    expect(stripped).toContain('// not a comment`');
    expect(stripped).not.toContain("'estargz'");
    expect(findFormatLiterals(code, 'src/core/x.ts')).toEqual([
      { line: 1, literal: "'soci'" },
      { line: 4, literal: '`zstd:chunked`' },
      { line: 5, literal: "'nydus'" },
      { line: 5, literal: '"estargz"' },
    ]);
  });

  it('in .svelte files: script comments, CSS comments and HTML comments are ignored, markup counts', () => {
    const svelte = [
      '<script lang="ts">',
      "  const a = 'nydus'; // 'soci'",
      "  const link = 'http://x.test//y'; const b = \"stargz\";",
      '</script>',
      "<!-- {format === 'estargz'} -->",
      "<p>don't {#if f === 'zstd-chunked'}x{/if}</p>",
      "<style>/* 'soci' */ p { color: red; }</style>",
    ].join('\n');
    expect(findFormatLiterals(svelte, 'src/ui/X.svelte')).toEqual([
      { line: 2, literal: "'nydus'" },
      { line: 3, literal: '"stargz"' },
      { line: 6, literal: "'zstd-chunked'" },
    ]);
  });
});

/** A crafted tree under a temp folder, with one violation of each rule and allowed look-alikes. */
describe('the rules on a crafted tree', () => {
  let root: string;
  let graph: ImportGraph;
  const put = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'import-graph-test-'));
    // A runtime cycle a -> c -> a; b closes a second loop with a type-only edge a -> b -> a.
    put('src/core/a.ts', "import type { B } from './b.ts';\nimport { c } from './c.js';\nexport const a = 1;\n");
    put('src/core/b.ts', "import { a } from './a.ts';\nexport type B = typeof a;\n");
    put('src/core/c.ts', "import { a } from './a.ts';\nexport * from './dir';\nexport const c = a;\n");
    put('src/core/dir/index.ts', 'export const d = 1;\n');
    put('src/core/self.ts', "export * from './self.ts';\n");
    // Type-only cycle only: counted in the all-edges check, not in the runtime one.
    put('src/core/t1.ts', "import type { T2 } from './t2.ts';\nexport type T1 = T2;\n");
    put('src/core/t2.ts', "import { type T1 } from './t1.ts';\nexport type T2 = T1 | 1;\n");
    // Rule (a): core reaching into the UI and worker; a worker URL is not an import.
    put(
      'src/core/bad.ts',
      "import View from '../ui/View.svelte';\nimport type { W } from '../worker/w.ts';\n" +
        "const w = new URL('../worker/x.worker.ts', import.meta.url);\n// import '../cli/main.ts';\n",
    );
    // Rule (b): the registry must use index.ts too; the format's own areas may reach inside.
    put('src/core/formats/nydus/index.ts', "import { r } from './reader.ts';\nexport const nydus = { id: 'nydus', r };\n");
    put('src/core/formats/nydus/reader.ts', "export const r = 'nydus'; const wrong = 'estargz'; // 'soci'\nconst u = 'http://x//'; const s = 'soci';\n");
    put('src/core/formats/registry.ts', "import { nydus } from './nydus/index.ts';\nimport { r } from './nydus/reader.ts';\nconst names = ['estargz', 'soci'];\n");
    put('src/worker/formats/nydus/views.ts', "import { r } from '../../../core/formats/nydus/reader.ts';\nconst f = 'nydus';\n");
    put('src/worker/formats/estargz/views.ts', "import { r } from '../../../core/formats/nydus/reader.ts';\n");
    put(
      'src/ui/View.svelte',
      '<script lang="ts">\n  import { r } from \'../core/formats/nydus/reader.ts\';\n  const f = \'nydus\'; // \'stargz\'\n</script>\n<!-- "soci" -->\n<p>don\'t</p>\n',
    );
    put('src/ui/ok.ts', "import { nydus } from '../core/formats/nydus/index.ts';\nconst docs = 'https://github.com/dragonflyoss/nydus'; // 'nydus'\n");
    graph = buildImportGraph(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('(a) flags core importing from the UI, the worker, and Svelte files', () => {
    expect(coreLayeringViolations(graph)).toEqual([
      "src/core/bad.ts:1 (import) '../ui/View.svelte' -> src/ui/View.svelte: src/core must not import from src/ui/",
      "src/core/bad.ts:2 (import, type-only) '../worker/w.ts' -> src/worker/w.ts (file does not exist): src/core must not import from src/worker/",
    ]);
  });

  it('(b) flags imports past a format folder\'s index.ts, except from its own areas', () => {
    const v = formatEncapsulationViolations(graph);
    expect(v.map((s) => s.split(' ')[0])).toEqual([
      'src/core/formats/registry.ts:2',
      'src/ui/View.svelte:2',
      'src/worker/formats/estargz/views.ts:1', // another format's area is no exception
    ]);
    expect(v[0]).toContain('import src/core/formats/nydus/index.ts instead');
  });

  it('(c) finds runtime cycles, self-imports, and type-only cycles only when asked', () => {
    const runtime = findCycles(graph, (e) => !e.typeOnly);
    expect(runtime.map((c) => c.files)).toEqual([['src/core/a.ts', 'src/core/c.ts'], ['src/core/self.ts']]);
    const all = findCycles(graph, () => true);
    expect(all.map((c) => c.files)).toEqual([
      ['src/core/a.ts', 'src/core/b.ts', 'src/core/c.ts'],
      ['src/core/self.ts'],
      ['src/core/t1.ts', 'src/core/t2.ts'],
    ]);
    expect(all[0]!.edges.map((e) => `${e.from}:${e.line}`)).toEqual(['src/core/a.ts:1', 'src/core/a.ts:2', 'src/core/b.ts:1', 'src/core/c.ts:1']);
  });

  it('(d) flags format names outside their folders, ignoring comments and URLs', () => {
    expect(formatLiteralViolations(root, graph.files).map((s) => s.split(': ')[0])).toEqual([
      "src/core/formats/nydus/reader.ts:1 'estargz'",
      "src/core/formats/nydus/reader.ts:2 'soci'",
      "src/ui/View.svelte:3 'nydus'",
    ]);
  });
});
