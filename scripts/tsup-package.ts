import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
    esbuildPlugins: [thirdPartyLicenses],
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

/**
 * Their licenses (MIT) ask that the notice travel with the code: a build that took in any of
 * BUNDLED_DEPENDENCIES writes `dist/THIRD-PARTY-LICENSES.md` with each one's version and license,
 * read from what esbuild actually bundled, so the file lists exactly what the package ships.
 */
const thirdPartyLicenses: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'third-party-licenses',
  setup(build) {
    build.initialOptions.metafile = true;
    const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
    build.onEnd((result) => {
      const outdir = build.initialOptions.outdir;
      if (result.metafile === undefined || outdir === undefined) return;
      const inputs = Object.keys(result.metafile.inputs);
      const sections = BUNDLED_DEPENDENCIES.flatMap((name) => {
        const marker = `/node_modules/${name}/`;
        const input = inputs.find((path) => path.includes(marker));
        if (input === undefined) return [];
        const folder = resolve(cwd, input.slice(0, input.indexOf(marker) + marker.length));
        const { version, license } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string; license: string };
        return [`## ${name} ${version} (${license})\n\n${readFileSync(join(folder, 'LICENSE.md'), 'utf8').trim()}\n`];
      });
      if (sections.length === 0) return;
      const intro = '# Third-party code in this package\n\nThis package was built with the following code inside it, rather than installing it beside it.\n';
      // tsup writes the bundle itself after esbuild ends, so on a first build dist/ may not exist yet.
      mkdirSync(resolve(cwd, outdir), { recursive: true });
      writeFileSync(resolve(cwd, outdir, 'THIRD-PARTY-LICENSES.md'), [intro, ...sections].join('\n'));
    });
  },
};

