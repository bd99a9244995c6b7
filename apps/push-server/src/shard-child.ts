import type { CliConfig } from './args.js';
import { type CliIo, serve } from './serve.js';
import { shardConfig } from './shard-layout.js';
import { SHARD_ADMIN_PORT_ENV, SHARD_INDEX_ENV, SHARD_PORT_ENV, type ShardListening } from './shard-protocol.js';

/** This process was forked by a `--shards N` supervisor to serve one shard. */
export function isShardChild(env: NodeJS.ProcessEnv): boolean {
  return env[SHARD_INDEX_ENV] !== undefined && process.send !== undefined;
}

/** Adds `"shard":i` to each JSON log line, so one stream of logs tells the shards apart. */
function tagShard(write: (text: string) => void, index: number): (text: string) => void {
  return (text) => write(text.startsWith('{') ? `{"shard":${index},${text.slice(1)}` : text);
}

/**
 * Serves shard `FOSSPUSH_SHARD_INDEX` of `config` in this process and tells the supervisor
 * where it listens. It drains on SIGTERM, or when the supervisor goes away (its IPC channel
 * closes), so no shard outlives its supervisor.
 */
export function runShardChild(config: CliConfig, io: CliIo, stop: (handler: () => void) => void): Promise<number> {
  const index = Number(io.env[SHARD_INDEX_ENV]);
  const adminPort = io.env[SHARD_ADMIN_PORT_ENV];
  const ports = { port: Number(io.env[SHARD_PORT_ENV] ?? 0), ...(adminPort === undefined ? {} : { adminPort: Number(adminPort) }) };
  const shardIo: CliIo = { ...io, stderr: tagShard(io.stderr, index) };
  const stopOnSignalOrOrphaned = (drain: () => void) => {
    stop(drain);
    process.once('disconnect', drain);
  };
  return serve(shardConfig(config, index, ports), shardIo, stopOnSignalOrOrphaned, ({ url, operatorUrl }) => {
    const listening: ShardListening = {
      type: 'listening',
      url,
      port: Number(new URL(url).port),
      ...(operatorUrl === undefined ? {} : { operatorUrl, adminPort: Number(new URL(operatorUrl).port) }),
    };
    process.send?.(listening);
  });
}
