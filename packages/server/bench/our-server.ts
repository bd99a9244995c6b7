// Our push server in a process of its own, configured by the parent (storage kind). It imports
// the package by name, so it measures the build output (see startChild's `built`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@fosspush/core';
import { createPushServer, type PushServer, type StorageOptions } from '@fosspush/server';
import { serveParent, settledMemory } from './ipc.js';

let server: PushServer | undefined;

// Exit normally on the parent's SIGTERM, so a --cpu-prof profile gets written.
process.on('SIGTERM', () => process.exit(0));

serveParent({
  async listen(args: { storage: 'memory' | 'sqlite' | 'redis'; redisUrl?: string }) {
    const storage: StorageOptions =
      args.storage === 'sqlite'
        ? { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'fosspush-bench-')), 'bench.db') }
        : args.storage === 'redis'
          ? { kind: 'redis', url: args.redisUrl as string }
          : { kind: 'memory' };
    server = createPushServer({
      storage,
      // One loopback client makes every request: the limiters would be all the bench measured.
      rateLimits: { perIp: false, perSubscription: false },
      maxConnections: 100_000,
      maxConnectionsPerAddress: 100_000,
      maxSetsPerAddress: 100_000,
      logger: silentLogger,
      processMetrics: false,
    });
    return server.listen(0, '127.0.0.1');
  },
  memory: () => settledMemory(),
  async close() {
    await server?.close();
  },
});
