import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.js';
import { initialShardPorts, shardConfig } from './shard-layout.js';
import { nextFailureCount, RESTART_MAX_DELAY_MS, RESTART_STABLE_AFTER_MS, restartDelayMs } from './shard-supervisor.js';

const configOf = (argv: string[]) => {
  const parsed = parseCommandLine(argv, { HOME: '/home/ada' });
  if (parsed.kind !== 'run') throw new Error('not a run command');
  return parsed.config;
};

describe('shard layout', () => {
  const config = configOf(['--listen', '127.0.0.1:8080', '--admin-listen', '127.0.0.1:9464', '--db', '/var/lib/f/server.db', '--public-url', 'https://push.example.org/', '--shards', '3']);

  it('leaves shard 0 exactly the single server', () => {
    expect(shardConfig(config, 0, initialShardPorts(config, 0))).toEqual({ ...config, shards: 1, publicUrl: 'https://push.example.org' });
  });

  it('gives shard i the next ports, its own database file and a /s<i> path', () => {
    const shard = shardConfig(config, 2, initialShardPorts(config, 2));
    expect(shard).toMatchObject({ port: 8082, adminListen: { host: '127.0.0.1', port: 9466 }, publicUrl: 'https://push.example.org/s2', shards: 1 });
    expect(shard.storage).toEqual({ kind: 'sqlite', path: '/var/lib/f/server.db.shard-2' });
  });

  it('lets every shard pick a port with port 0, then keeps the one it got', () => {
    const any = configOf(['--listen', '127.0.0.1:0', '--memory', '--shards', '2']);
    expect(initialShardPorts(any, 1)).toEqual({ port: 0 });
    expect(shardConfig(any, 1, { port: 41234 })).toMatchObject({ port: 41234, storage: { kind: 'memory' } });
    expect(shardConfig(any, 1, { port: 41234 }).publicUrl).toBeUndefined();
  });
});

describe('shard restart backoff', () => {
  it('doubles from 250 ms per death in a row, up to 30 s', () => {
    expect([1, 2, 3, 4].map(restartDelayMs)).toEqual([250, 500, 1000, 2000]);
    expect(restartDelayMs(20)).toBe(RESTART_MAX_DELAY_MS);
  });

  it('starts over after a shard ran a minute', () => {
    expect(nextFailureCount(5, 1_000)).toBe(6);
    expect(nextFailureCount(5, RESTART_STABLE_AFTER_MS)).toBe(1);
  });
});
