import { defineConfig, type Options } from 'tsup';

/**
 * The one build recipe every package shares: ESM with declarations. No source maps: the output
 * is readable, unminified ESM, tests and benches run on the TypeScript source, and the maps
 * (with their sources inside) were over half of what a sender-only install downloads.
 */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: false,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}

/**
 * The build of an app (a command on PATH): the workspace libraries it uses are bundled into its
 * `dist/`, so `npm install -g ./fosspushd-<version>.tgz` works from the tarball alone, before
 * and after the libraries are published. Their third-party dependencies stay external and are
 * the app's own `dependencies` (packages/consumer-test checks the two lists agree).
 */
export function appBuild(entry: string[]) {
  // Everything else stays external, also what the app does not list (openpgp in the push
  // server): a library's optional peer is loaded on demand, never copied into the bundle.
  return packageBuild(entry, { noExternal: [/^@fosspush\//], external: [/^(?!@fosspush\/|\.|\/)/] });
}
