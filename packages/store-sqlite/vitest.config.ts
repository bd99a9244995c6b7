import { defineProject } from 'vitest/config';
import { sourceProject } from '../testing/src/vitest-project.ts';

export default defineProject(sourceProject('store-sqlite'));
