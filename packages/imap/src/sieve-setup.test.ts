import { describe, expect, it } from 'vitest';
import { sieveRule } from './sieve-setup.js';

describe('sieveRule', () => {
  it('quotes a folder name as a Sieve string', () => {
    expect(sieveRule('Push "alerts"\\x')).toContain('fileinto :create "Push \\"alerts\\"\\\\x";');
  });
});
