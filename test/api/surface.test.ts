import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The public surface, per entry point: every export and its kind. A change to it shows in review as a
// change to api-surface.txt; run `npx vitest run test/api -u` to accept one on purpose.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRIES = { bulwark: 'src/index.ts', 'bulwark/thumbnails': 'src/thumbnails/index.ts', 'bulwark/email': 'src/email/index.ts', 'bulwark/queue': 'src/queue/index.ts', 'bulwark/postgres': 'src/postgres/index.ts', 'bulwark/bullmq': 'src/bullmq/index.ts' };

function kindOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const f = target.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  return 'other';
}

function isInternal(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return target.getJsDocTags(checker).some((tag) => tag.name === 'internal');
}

describe('public API', () => {
  const program = ts.createProgram(
    Object.values(ENTRIES).map((file) => resolve(root, file)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  );
  const checker = program.getTypeChecker();
  const surface = Object.entries(ENTRIES).map(([name, file]) => {
    const source = program.getSourceFile(resolve(root, file));
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const exports = module === undefined ? [] : checker.getExportsOfModule(module);
    return { name, exports: exports.map((symbol) => ({ name: symbol.getName(), kind: kindOf(symbol, checker), internal: isInternal(symbol, checker) })).sort((a, b) => a.name.localeCompare(b.name)) };
  });

  it('exports nothing marked @internal', () => {
    const leaked = surface.flatMap((entry) => entry.exports.filter((e) => e.internal).map((e) => `${entry.name}: ${e.name}`));
    expect(leaked).toEqual([]);
  });

  it('matches the recorded surface', async () => {
    const text = surface.map((entry) => [`# ${entry.name}`, ...entry.exports.map((e) => `${e.kind} ${e.name}`)].join('\n')).join('\n\n') + '\n';
    expect(surface.every((entry) => entry.exports.length > 0)).toBe(true);
    await expect(text).toMatchFileSnapshot('./api-surface.txt');
  });
});
