import { defineProject } from 'vitest/config';
import { sourceProject } from './src/vitest-project.ts';

export default defineProject(sourceProject('testing'));
