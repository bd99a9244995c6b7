import { defineProject } from 'vitest/config';
import { sourceProject } from '../../packages/testing/src/vitest-project.ts';

// Integration tests start real processes (push server, web-push-testing, the mail rig) on a
// shared 2-core machine: give start-up and delivery room, never a timing assertion.
export default defineProject(sourceProject('sender', { testTimeout: 30_000, hookTimeout: 60_000 }));
