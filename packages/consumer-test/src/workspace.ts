import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** Every package.json of the workspace, with the folder it is in (relative to the root). */
export function workspaceManifests(): { dir: string; manifest: Manifest }[] {
  return ['packages', 'apps'].flatMap((folder) =>
    readdirSync(join(repoRoot, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => ({
        dir: `${folder}/${entry.name}`,
        manifest: JSON.parse(readFileSync(join(repoRoot, folder, entry.name, 'package.json'), 'utf8')) as Manifest,
      })),
  );
}

const isWorkspaceName = (name: string) => name.startsWith('@fosspush/');

/**
 * The third-party run-time dependencies of the given workspace packages and of every workspace
 * package they depend on: what an app that bundles them must list itself. A workspace peer (a
 * storage driver the server imports when that storage is chosen) counts: the app's build
 * bundles every `@fosspush/` import, the lazy ones too.
 */
export function bundledThirdPartyDependencies(names: readonly string[], byName: ReadonlyMap<string, Manifest>): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const manifest = byName.get(name);
    for (const [dependency, range] of Object.entries(manifest?.dependencies ?? {})) {
      if (isWorkspaceName(dependency)) visit(dependency);
      else out[dependency] = range;
    }
    for (const peer of Object.keys(manifest?.peerDependencies ?? {})) if (isWorkspaceName(peer)) visit(peer);
  };
  for (const name of names) visit(name);
  return out;
}
