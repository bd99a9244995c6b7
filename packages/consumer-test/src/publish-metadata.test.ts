// What every published package.json must hold, checked on the workspace's manifests (the
// consumer test then checks the packed tarballs themselves).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledThirdPartyDependencies, type Manifest, repoRoot, workspaceManifests } from './workspace.js';

const all = workspaceManifests();
const published = all.filter(({ manifest }) => manifest.private !== true);
const byName = new Map(all.map(({ manifest }) => [manifest.name, manifest] as const));
const apps = published.filter(({ dir }) => dir.startsWith('apps/'));
const rootEngines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest)['engines'];

/** The workspace packages an app's source (tests left out) imports: what its build bundles. */
function importedWorkspacePackages(srcDir: string): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(srcDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    for (const match of readFileSync(join(srcDir, file), 'utf8').matchAll(/from '(@fosspush\/[a-z-]+)'|import\('(@fosspush\/[a-z-]+)'\)/g)) {
      names.add((match[1] ?? match[2]) as string);
    }
  }
  return [...names].sort();
}

describe('publish metadata', () => {
  it.each(published.map(({ dir, manifest }) => [manifest.name, dir, manifest] as const))('%s has what a registry page needs', (_name, dir, manifest) => {
    expect(manifest['repository']).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:/), directory: dir });
    expect((manifest['keywords'] as string[]).length).toBeGreaterThan(0);
    expect(manifest['license']).toBe('Apache-2.0');
    expect(manifest['engines']).toEqual(rootEngines);
    expect(manifest['files']).toContain('dist');
    // The published exports drop the workspace-only source condition: src/ is not shipped.
    expect(JSON.stringify((manifest['publishConfig'] as { exports?: unknown } | undefined)?.exports)).not.toContain('@fosspush/source');
    expect(existsSync(join(repoRoot, dir, 'README.md'))).toBe(true);
    expect(readFileSync(join(repoRoot, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'));
  });

  it('no two packages pack to the same file name', () => {
    const fileNames = published.map(({ manifest }) => `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`);
    expect(new Set(fileNames).size).toBe(fileNames.length);
  });

  // An app bundles the workspace libraries (scripts/tsup-package.ts appBuild), so it must
  // depend on their third-party dependencies itself, at the same ranges, and on no library.
  it.each(apps.map(({ dir, manifest }) => [manifest.name, dir, manifest] as const))('%s lists the dependencies of what it bundles', (_name, dir, manifest) => {
    const bundled = importedWorkspacePackages(join(repoRoot, dir, 'src'));
    expect(bundled.length).toBeGreaterThan(0);
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@fosspush/'))).toEqual([]);
    expect(manifest.dependencies).toEqual(bundledThirdPartyDependencies(bundled, byName));
  });
});
