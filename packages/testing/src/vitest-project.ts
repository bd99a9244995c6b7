import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * The test project every package uses: it resolves workspace packages to their TypeScript
 * source through the `@fosspush/source` export condition, so tests never need a build.
 */
export function sourceProject(name: string, test: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return {
    resolve: { conditions: ['@fosspush/source'] },
    ssr: { resolve: { conditions: ['@fosspush/source'] } },
    test: { name, include: ['src/**/*.test.ts', 'test/**/*.test.ts'], ...test },
  };
}
