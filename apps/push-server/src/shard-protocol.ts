/**
 * What a shard process and its supervisor tell each other: the environment a shard starts
 * with, and the one IPC message it sends back once it listens.
 */

/** Set by the supervisor in a shard's environment: which shard this process is. */
export const SHARD_INDEX_ENV = 'FOSSPUSH_SHARD_INDEX';
/** The port the shard listens on (pinned after its first start, so a restart keeps its links). */
export const SHARD_PORT_ENV = 'FOSSPUSH_SHARD_PORT';
/** The operator listener's port, with `--admin-listen`. */
export const SHARD_ADMIN_PORT_ENV = 'FOSSPUSH_SHARD_ADMIN_PORT';

/** A shard is up: where it listens, and the ports to reuse when it restarts. */
export interface ShardListening {
  type: 'listening';
  url: string;
  operatorUrl?: string;
  port: number;
  adminPort?: number;
}

export function isShardListening(message: unknown): message is ShardListening {
  const candidate = message as Partial<ShardListening> | null;
  return candidate?.type === 'listening' && typeof candidate.url === 'string' && typeof candidate.port === 'number';
}
