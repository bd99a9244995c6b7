// The dependency rule of docs/architecture.md, checked on every package.json: nothing depends
// on an app, and core depends on no other workspace package.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './process.js';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function manifests(folder: 'apps' | 'packages'): Manifest[] {
  return readdirSync(join(repoRoot, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => JSON.parse(readFileSync(join(repoRoot, folder, entry.name, 'package.json'), 'utf8')) as Manifest);
}

function dependencyNames(manifest: Manifest): string[] {
  const { dependencies = {}, devDependencies = {}, peerDependencies = {}, optionalDependencies = {} } = manifest;
  return Object.keys({ ...dependencies, ...devDependencies, ...peerDependencies, ...optionalDependencies });
}

const apps = manifests('apps');
const packages = manifests('packages');
const appNames = new Set(apps.map((app) => app.name));
const workspaceNames = new Set([...apps, ...packages].map((manifest) => manifest.name));

describe('the dependency rule', () => {
  it.each([...apps, ...packages].map((manifest) => [manifest.name, manifest] as const))('%s depends on no app', (_name, manifest) => {
    expect(dependencyNames(manifest).filter((name) => appNames.has(name))).toEqual([]);
  });

  it('core depends on no other workspace package at run time', () => {
    const core = packages.find((manifest) => manifest.name === '@fosspush/core');
    expect(core).toBeDefined();
    expect(Object.keys(core?.dependencies ?? {}).filter((name) => workspaceNames.has(name))).toEqual([]);
  });
});
