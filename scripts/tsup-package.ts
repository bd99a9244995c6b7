import { defineConfig, type Options } from 'tsup';

/**
 * The one build recipe every package shares: ESM with declarations. No source maps: the output
 * is readable, unminified ESM, tests and benches run on the TypeScript source, and the maps
 * (with their sources inside) were over half of what a sender-only install downloads.
 */
/**
 * Third-party code built into the packages that use it rather than installed beside them:
 * valibot (the input schemas) and jose (VAPID JWTs) are tree-shaken down to the few functions
 * fosspush calls, a few KB, where installing them would add 1.8 MB and 0.5 MB to every install
 * (a sender-only install must stay smaller than web-push's). The declarations inline the
 * valibot types a public type is made of, so nothing imports a package that is not there.
 * Each is a devDependency pinned to the exact version that gets built in.
 */
export const BUNDLED_DEPENDENCIES = ['valibot', 'jose'];

export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    noExternal: BUNDLED_DEPENDENCIES,
    dts: { resolve: BUNDLED_DEPENDENCIES },
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
  const bundled = `@fosspush/|(${BUNDLED_DEPENDENCIES.join('|')})(/|$)`;
  return packageBuild(entry, { noExternal: [new RegExp(`^(${bundled})`)], external: [new RegExp(`^(?!${bundled}|\\.|/)`)] });
}
