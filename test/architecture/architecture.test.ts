/**
 * The layering of src/, checked on the real import graph (./import-graph.ts has the rules):
 *
 *  a. src/core (the engine) imports nothing from src/worker, src/ui, src/cli, nor Svelte files:
 *     it must run unchanged in a worker and in Node.
 *  b. A format folder src/core/formats/<fmt>/ is used from outside only through its index.ts,
 *     except by that format's own src/{worker,ui,cli}/formats/<fmt>/ folders.
 *  c. No import cycles inside src/core, neither over runtime edges nor over all edges.
 *  d. Format names ('nydus', 'estargz', …) are spelled only in that format's folders and in
 *     src/core/formats/registry.ts; everyone else asks the registry.
 *
 * Every failure lists each offending file:line with the rule it breaks, so the output is a
 * to-do list. The messages go into the assertion message (not a diff), so nothing is truncated.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  buildImportGraph,
  coreLayeringViolations,
  describeCycles,
  findCycles,
  formatEncapsulationViolations,
  formatLiteralViolations,
} from './import-graph.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const graph = buildImportGraph(ROOT);

/** The assertion message: a headline, then one violation per line. */
function report(rule: string, violations: string[]): string {
  return `${rule}: ${violations.length} violation(s)\n${violations.map((v) => `  ${v}`).join('\n')}\n`;
}

describe('architecture', () => {
  it('finds the sources (guards against a vacuous pass after a move)', () => {
    expect(graph.files.filter((f) => f.startsWith('src/core/')).length).toBeGreaterThan(10);
    expect(graph.edges.filter((e) => !e.external).length).toBeGreaterThan(50);
  });

  it('(a) src/core imports nothing from src/worker, src/ui, src/cli or .svelte files', () => {
    const violations = coreLayeringViolations(graph);
    expect(violations.length, report('rule (a) core layering', violations)).toBe(0);
  });

  it('(b) format folders are imported only through their index.ts', () => {
    const violations = formatEncapsulationViolations(graph);
    expect(violations.length, report('rule (b) format encapsulation', violations)).toBe(0);
  });

  it('(c) no runtime import cycles in src/core (type-only edges not counted)', () => {
    const cycles = findCycles(graph, (e) => !e.typeOnly);
    expect(cycles.length, `rule (c) runtime import cycles in src/core: ${cycles.length}\n${describeCycles(cycles)}\n`).toBe(0);
  });

  it('(c) no import cycles in src/core counting type-only edges too', () => {
    const cycles = findCycles(graph, () => true);
    expect(cycles.length, `rule (c) import cycles in src/core, type-only edges included: ${cycles.length}\n${describeCycles(cycles)}\n`).toBe(0);
  });

  it('(d) format names are spelled only in their own format folders and the registry', () => {
    const violations = formatLiteralViolations(ROOT, graph.files);
    expect(violations.length, report('rule (d) format-name literals', violations)).toBe(0);
  });
});
