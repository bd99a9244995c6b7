import { defineProject } from 'vitest/config';
import { sourceProject } from '../../packages/testing/src/vitest-project.ts';

export default defineProject(sourceProject('xmpp', { testTimeout: 60_000, hookTimeout: 60_000 }));
