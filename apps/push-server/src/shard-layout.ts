import type { CliConfig } from './args.js';

/**
 * Where shard `index` of `--shards N` lives. Shard 0 is exactly today's single server (same
 * port, database file and links), so turning shards on never breaks a link already given out;
 * every other shard gets the next port, a database file of its own and a `/s<i>` path below
 * the public URL, which is how a reverse proxy finds it from a push or set URL alone.
 */
export interface ShardPorts {
  /** The public listener's port; 0 lets the kernel choose. */
  port: number;
  /** The operator listener's port, with `--admin-listen`. */
  adminPort?: number;
}

/** `/s1` for shard 1; '' for shard 0, whose links have no prefix. */
export function shardPathPrefix(index: number): string {
  return index === 0 ? '' : `/s${index}`;
}

/** The SQLite file of shard `index`: the `--db` path itself for shard 0, `<db>.shard-<i>` after. */
export function shardDbPath(path: string, index: number): string {
  return index === 0 ? path : `${path}.shard-${index}`;
}

/** Ports of shard `index` before its first start: PORT+i, or 0 (any) for port 0. */
export function initialShardPorts(config: CliConfig, index: number): ShardPorts {
  const offset = (port: number) => (port === 0 ? 0 : port + index);
  return { port: offset(config.port), ...(config.adminListen ? { adminPort: offset(config.adminListen.port) } : {}) };
}

/** The single-server configuration shard `index` runs with. */
export function shardConfig(config: CliConfig, index: number, ports: ShardPorts): CliConfig {
  const storage = config.storage.kind === 'sqlite' ? { ...config.storage, path: shardDbPath(config.storage.path, index) } : config.storage;
  const shard: CliConfig = { ...config, port: ports.port, storage, shards: 1 };
  if (config.adminListen && ports.adminPort !== undefined) shard.adminListen = { host: config.adminListen.host, port: ports.adminPort };
  if (config.publicUrl !== undefined) shard.publicUrl = `${config.publicUrl.replace(/\/+$/, '')}${shardPathPrefix(index)}`;
  return shard;
}
