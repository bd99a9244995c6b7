/**
 * The test projects: every package and app with a `vitest.config.ts`. This is the one list;
 * `vitest.config.ts` imports it (Vitest 4 no longer reads this file by itself).
 */
export default ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'];
