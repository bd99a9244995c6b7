import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultDbPath, parseCommandLine, parseListen, parseRateLimit, UsageError } from './args.js';

const env = { HOME: '/home/ada' };

describe('parseCommandLine', () => {
  it('defaults to 127.0.0.1:8080 and a SQLite file under the XDG data folder', () => {
    expect(parseCommandLine([], env)).toEqual({
      kind: 'run',
      config: { host: '127.0.0.1', port: 8080, storage: { kind: 'sqlite', path: '/home/ada/.local/share/fosspush/server.db' }, trustProxy: false, logLevel: 'info', shards: availableParallelism() },
    });
    expect(defaultDbPath({ XDG_DATA_HOME: '/data' })).toBe('/data/fosspush/server.db');
  });

  it('reads every option', () => {
    const parsed = parseCommandLine(
      [
        '--listen', '[::1]:9000', '--redis', 'redis://r:6379', '--redis-prefix', 'p:', '--public-url', 'https://push.example.org', '--trust-proxy',
        '--max-connections', '20000', '--body-timeout-ms', '500', '--rate-limit-ip', 'off', '--rate-limit-push', '2.5:20', '--log-level', 'debug',
      ],
      env,
    );
    expect(parsed).toEqual({
      kind: 'run',
      config: {
        host: '::1',
        port: 9000,
        storage: { kind: 'redis', url: 'redis://r:6379', keyPrefix: 'p:' },
        publicUrl: 'https://push.example.org',
        trustProxy: true,
        maxConnections: 20000,
        bodyTimeoutMs: 500,
        rateLimits: { perIp: false, perSubscription: { ratePerSecond: 2.5, burst: 20 } },
        logLevel: 'debug',
        shards: availableParallelism(),
      },
    });
    expect(parseCommandLine(['--memory'], env)).toMatchObject({ config: { storage: { kind: 'memory' } } });
    expect(parseCommandLine(['--db', 'x.db'], env)).toMatchObject({ config: { storage: { kind: 'sqlite', path: 'x.db' } } });
    expect(parseCommandLine(['--help'], env)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--shards', '3'], env)).toMatchObject({ config: { shards: 3 } });
    expect(() => parseCommandLine(['--shards', '0'], env)).toThrow(UsageError);
    expect(() => parseCommandLine(['--listen', '127.0.0.1:65535', '--shards', '2'], env)).toThrow(/ports 65535 to 65536/);
    expect(parseCommandLine(['--listen', '127.0.0.1:0', '--shards', '4'], env)).toMatchObject({ config: { port: 0, shards: 4 } });
    expect(parseCommandLine(['--no-fast-push-path'], env)).toMatchObject({ config: { fastPushPath: false } });
    expect(parseCommandLine(['--default-ttl', '3600'], env)).toMatchObject({ config: { defaultTtlSeconds: 3600 } });
    expect(parseCommandLine(['--default-ttl', 'strict'], env)).toMatchObject({ config: { defaultTtlSeconds: false } });
    expect(() => parseCommandLine(['--default-ttl', 'soon'], env)).toThrow(/--default-ttl must be a positive integer/);
  });

  it.each([
    [['--bogus']],
    [['--memory', '--db', 'x']],
    [['--listen', '8080']],
    [['--listen', 'host:99999']],
    [['--redis', 'http://r']],
    [['--public-url', 'push.example.org']],
    [['--max-connections', '0']],
    [['--body-timeout-ms', '1.5']],
    [['--log-level', 'loud']],
    [['--rate-limit-ip', 'fast']],
    [['--rate-limit-push', '0']],
    [['--rate-limit-push', '5:0']],
    [['positional']],
    [['--admin-listen', '9464']],
    [['--sqlite-synchronous', 'extra']],
    [['--memory', '--sqlite-synchronous', 'full']],
    [['backup']],
    [['backup', 'a', 'b']],
    [['backup', '--bogus', 'a']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseCommandLine(argv, env)).toThrow(UsageError);
  });

  it('reads --admin-listen, --sqlite-synchronous and the backup command', () => {
    expect(parseCommandLine(['--admin-listen', '127.0.0.1:9464', '--memory'], env)).toMatchObject({
      config: { adminListen: { host: '127.0.0.1', port: 9464 } },
    });
    expect(parseCommandLine(['--sqlite-synchronous', 'full'], env)).toMatchObject({ config: { storage: { kind: 'sqlite', synchronous: 'full' } } });
    expect(parseCommandLine(['backup', '/backups/server.db'], env)).toEqual({
      kind: 'backup',
      source: '/home/ada/.local/share/fosspush/server.db',
      target: '/backups/server.db',
    });
    expect(parseCommandLine(['backup', '--db', '/var/lib/fosspush/server.db', 'copy.db'], env)).toEqual({
      kind: 'backup',
      source: '/var/lib/fosspush/server.db',
      target: 'copy.db',
    });
  });

  it('reads a rate limit with or without its burst', () => {
    expect(parseRateLimit('50', '--x')).toEqual({ ratePerSecond: 50, burst: 50 });
    expect(parseRateLimit('0.5', '--x')).toEqual({ ratePerSecond: 0.5, burst: 1 });
    expect(parseRateLimit('off', '--x')).toBe(false);
  });

  it('parses IPv4, IPv6 and names in --listen', () => {
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('[::]:0')).toEqual({ host: '::', port: 0 });
    expect(parseListen('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
  });
});
