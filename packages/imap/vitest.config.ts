import { defineProject } from 'vitest/config';
import { sourceProject } from '../../packages/testing/src/vitest-project.ts';

// One real mail rig (Dovecot + Postfix on loopback) for the whole project: test/global-setup.ts.
export default defineProject(
  sourceProject('imap', {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  }),
);
