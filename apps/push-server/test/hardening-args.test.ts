import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/args.js';

const env = { HOME: '/home/ada' };

describe('hardening flags', () => {
  it('reads --max-connections-per-address and refuses a non-positive cap', () => {
    expect(parseCommandLine(['--max-connections-per-address', '32'], env)).toMatchObject({ config: { maxConnectionsPerAddress: 32 } });
    expect(() => parseCommandLine(['--max-connections-per-address', '0'], env)).toThrow(/positive integer/);
  });

  it('reads the set limits and lifetimes in their units', () => {
    expect(parseCommandLine(['--max-sets-per-address', '50', '--pending-set-ttl-hours', '2', '--idle-set-ttl-days', '30'], env)).toMatchObject({
      config: { maxSetsPerAddress: 50, pendingSetTtlMs: 2 * 3_600_000, idleSetTtlMs: 30 * 86_400_000 },
    });
    expect(() => parseCommandLine(['--idle-set-ttl-days', '1.5'], env)).toThrow(/positive integer/);
  });
});
