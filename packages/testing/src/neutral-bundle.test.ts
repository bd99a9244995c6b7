// The rule "device-side entries bundle neutral" of docs/architecture.md: what an app or a
// device imports must build for a browser or React Native, so no Node built-in may be reachable
// from it. Each entry is bundled from source with esbuild for the neutral platform, resolving
// packages as a browser bundler does, and every import of a Node built-in is reported with the
// module that made it.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './process.js';

/** The device-side entries: `folder` under packages/, `subpath` as in its package.json `exports`. */
const DEVICE_SIDE_ENTRIES = [
  { folder: 'core', subpath: '.' },
  { folder: 'webpush', subpath: './user-agent' },
] as const;

interface SourceExports {
  exports: Record<string, string | Record<string, string>>;
}

/** The source file an export points at under the `@fosspush/source` condition (tests run on source). */
function sourceEntry(folder: string, subpath: string): string {
  const manifestPath = join(repoRoot, 'packages', folder, 'package.json');
  const { exports } = JSON.parse(readFileSync(manifestPath, 'utf8')) as SourceExports;
  const target = exports[subpath];
  const source = typeof target === 'object' ? target['@fosspush/source'] : undefined;
  if (source === undefined) throw new Error(`packages/${folder} exports no ${subpath} with a @fosspush/source condition`);
  return join(dirname(manifestPath), source);
}

/** Bundles `entry` for the neutral platform; resolves to each Node built-in import as "importer -> module". */
async function nodeImportsOf(entry: string): Promise<string[]> {
  const found: string[] = [];
  const reportNodeBuiltins: Plugin = {
    name: 'report-node-builtins',
    setup(bundle) {
      bundle.onResolve({ filter: /.*/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        found.push(`${relative(repoRoot, args.importer)} -> ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    // As a browser or React Native bundler resolves: our source, then a package's browser build.
    conditions: ['@fosspush/source', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'silent',
    plugins: [reportNodeBuiltins],
  });
  return found.sort();
}

describe('device-side entries bundle for the neutral platform', () => {
  it.each(DEVICE_SIDE_ENTRIES.map(({ folder, subpath }) => [`packages/${folder} ${subpath}`, sourceEntry(folder, subpath)] as const))(
    '%s reaches no Node built-in',
    async (_name, entry) => {
      expect(await nodeImportsOf(entry)).toEqual([]);
    },
    30_000,
  );

  it('reports a Node built-in with the module that imports it', async () => {
    expect(await nodeImportsOf(join(repoRoot, 'packages/webpush/src/node/index.ts'))).toEqual([
      'packages/webpush/src/node/node-crypto.ts -> node:crypto',
      'packages/webpush/src/node/node-http-refusal.ts -> node:http',
    ]);
  });
});
