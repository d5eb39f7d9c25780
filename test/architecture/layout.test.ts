import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The import graph of src/, type-only imports included: a cycle through types is still a reader going
// back and forth between folders.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(IMPORT)) specifiers.push((match[1] ?? match[2]) as string);
  return specifiers;
}

const graph = new Map<string, string[]>();
const external = new Map<string, string[]>();
for (const file of files(SRC)) {
  const from = relative(SRC, file);
  const specifiers = importsOf(file);
  graph.set(
    from,
    specifiers.filter((s) => s.startsWith('.')).map((s) => relative(SRC, resolve(dirname(file), s.replace(/\.js$/, '.ts')))),
  );
  external.set(from, specifiers.filter((s) => !s.startsWith('.')));
}

/** The first cycle found in a graph, as a path, or undefined. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 1);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found !== undefined) return found;
      }
    }
    stack.pop();
    state.set(node, 2);
    return undefined;
  };
  for (const node of edges.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Top-level module of a file: `retry`, `thumbnails`, … (`index.ts` at the root is the core entry). */
const moduleOf = (file: string): string => (file.includes(sep) ? (file.split(sep)[0] as string) : '(entry)');

describe('layout', () => {
  it('has no import cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const [from, targets] of graph) {
      const a = moduleOf(from);
      for (const to of targets) {
        const b = moduleOf(to);
        if (a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a))?.add(b);
      }
    }
    expect(findCycle(edges)).toBeUndefined();
  });

  it('has no import cycle between files', () => {
    const edges = new Map([...graph].map(([from, targets]) => [from, new Set(targets)]));
    expect(findCycle(edges)).toBeUndefined();
  });

  it('detects a cycle when there is one (the checker itself)', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(edges)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', new Set(['b'])]]))).toBeUndefined();
  });

  it('keeps the core, email and queue free of runtime dependencies, and sharp in one file', () => {
    const offenders: string[] = [];
    for (const [file, specifiers] of external) {
      for (const specifier of specifiers) {
        if (specifier.startsWith('node:')) continue;
        if (specifier === 'sharp' && file === join('thumbnails', 'sharp-loader.ts')) continue;
        if (specifier === 'bullmq' && file.startsWith(`bullmq${sep}`)) continue;
        offenders.push(`${file} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps each module in its own folder: only postgres (an adapter of thumbnails) reaches into another, and only its sharp-free leaves', () => {
    // The ports, the mappers and the error classes import nothing of the renderer: bulwark/postgres
    // may share them without its bundle reaching sharp (the thumbnails entry would bring it along).
    const leaves = (to: string): boolean => to === join('thumbnails', 'ports.ts') || to === join('thumbnails', 'mappers.ts') || to.startsWith(join('thumbnails', 'errors') + sep);
    const offenders: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const owner = moduleOf(to);
        if (!['thumbnails', 'email', 'queue', 'postgres', 'bullmq'].includes(owner) || moduleOf(from) === owner) continue;
        if (moduleOf(from) === 'postgres' && leaves(to)) continue;
        offenders.push(`${from} -> ${to}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
