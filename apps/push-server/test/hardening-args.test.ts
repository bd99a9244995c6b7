import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/args.js';

const env = { HOME: '/home/ada' };

describe('hardening flags', () => {
  it('reads --max-connections-per-address and refuses a non-positive cap', () => {
    expect(parseCommandLine(['--max-connections-per-address', '32'], env)).toMatchObject({ config: { maxConnectionsPerAddress: 32 } });
    expect(() => parseCommandLine(['--max-connections-per-address', '0'], env)).toThrow(/positive integer/);
  });
});
