import type { Channel, ChannelStateStore, Runtime } from '@fosspush/core';
import type { ChannelCapabilities } from '@fosspush/ipc';
import type { AccountConfig } from './accounts.js';
import type { Logger } from '@fosspush/core';

/** Builds the one channel of an account. The daemon injects it so tests can pass their own. */
export type ChannelFactory = (account: AccountConfig, context: ChannelContext) => Channel | Promise<Channel>;

export interface ChannelContext {
  /** Durable state private to this account: the channel keeps its negotiated subscriptions here. */
  state: ChannelStateStore;
  runtime: Runtime;
  logger: Logger;
}

/** One configured account and its single shared connection. */
export interface Account {
  readonly config: AccountConfig;
  readonly channel: Channel;
  readonly capabilities: ChannelCapabilities;
  /** Where it connects, for `status` (never a password). */
  readonly target: string;
  lastError?: string;
}

/**
 * Capabilities are optional on a channel: core's Channel interface has none, so a channel that
 * supports upstream messages or topics says so with a `capabilities` property.
 */
function capabilitiesOf(channel: Channel): ChannelCapabilities {
  const declared = (channel as { capabilities?: Partial<ChannelCapabilities> }).capabilities ?? {};
  return { upstream: declared.upstream === true, topics: declared.topics === true };
}

function targetOf(config: AccountConfig): string {
  if (config.type === 'push-server') return config.url;
  if (config.type === 'dht') return config.proxies.join(' ');
  if (config.type === 'xmpp') return config.jid;
  const options = config.options as { imap?: { host?: unknown; auth?: { user?: unknown } }; address?: unknown };
  const address = typeof options.address === 'string' ? options.address : undefined;
  const user = typeof options.imap?.auth?.user === 'string' ? options.imap.auth.user : undefined;
  const host = typeof options.imap?.host === 'string' ? options.imap.host : undefined;
  return address ?? ([user, host].filter(Boolean).join('@') || 'email');
}

export async function createAccount(config: AccountConfig, factory: ChannelFactory, context: ChannelContext): Promise<Account> {
  const channel = await factory(config, context);
  return { config, channel, capabilities: capabilitiesOf(channel), target: targetOf(config) };
}
