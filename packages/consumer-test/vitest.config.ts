import { defineProject } from 'vitest/config';

// The consumer test installs tarballs with npm and pnpm and builds TypeScript apps: minutes, not
// milliseconds. It runs the packed build output, never the source, so no source condition here.
export default defineProject({
  test: {
    name: 'consumer',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
