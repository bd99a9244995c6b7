import { defineConfig, type Options } from 'tsup';

/** The one build recipe every package shares: ESM with declarations, sources mapped. */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}
