import { describe, expect, it } from 'vitest';
import { uidSet } from './mailbox-ops.js';

describe('uidSet', () => {
  it('compresses runs into ranges, in order, without duplicates', () => {
    expect(uidSet([9, 1, 2, 3, 7, 10, 3])).toBe('1:3,7,9:10');
    expect(uidSet([42])).toBe('42');
    expect(uidSet([])).toBe('');
  });
});
