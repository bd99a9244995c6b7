import { type Channel, FosspushError } from '@fosspush/core';
import type { ImapChannelOptions } from '@fosspush/imap';
import { createSseTransport } from '@fosspush/sse';
import { createDeviceStreamChannel, type PushServerChannelOptions } from '@fosspush/webpush/user-agent';
import { createWebSocketTransport } from '@fosspush/websocket';
import type { ChannelFactory, ChannelContext } from './account.js';
import { readFile } from 'node:fs/promises';
import type { DhtAccount, EmailAccount, PushServerAccount, XmppAccount } from './accounts.js';
import { createFallbackTransport, reportingTransport } from './fallback-transport.js';

function pushServerChannel(account: PushServerAccount, context: ChannelContext): Channel {
  const options: PushServerChannelOptions = { serverUrl: account.url, state: context.state, runtime: context.runtime };
  switch (account.transport ?? 'auto') {
    case 'websocket':
      return createDeviceStreamChannel(options, createWebSocketTransport(options));
    case 'sse':
      return createDeviceStreamChannel(options, createSseTransport(options));
    default: {
      const transport = createFallbackTransport(createWebSocketTransport(options), createSseTransport(options));
      return reportingTransport(createDeviceStreamChannel(options, transport), transport);
    }
  }
}

/**
 * The account's `options` are `createImapChannel` options (imap host and login, folders...),
 * taken as they are. The email stack (IMAP, MIME, OpenPGP) loads only when an email account
 * is configured: a daemon with push servers alone stays small.
 */
async function emailChannel(account: EmailAccount, context: ChannelContext): Promise<Channel> {
  const options = account.options as Partial<ImapChannelOptions>;
  if (typeof options.imap !== 'object' || options.imap === null) {
    throw new FosspushError('INVALID_REQUEST', `account ${account.id}: an email account needs options.imap { host, auth: { user, pass } }`, {
      details: { field: `accounts.${account.id}.options.imap` },
    });
  }
  const { createImapChannel } = await import('@fosspush/imap');
  return createImapChannel({ ...(options as ImapChannelOptions), state: context.state, runtime: context.runtime });
}

/** The DHT stack is small, but loads only for a DHT account all the same. */
async function dhtChannel(account: DhtAccount, context: ChannelContext): Promise<Channel> {
  const { createDhtChannel } = await import('@fosspush/dht');
  return createDhtChannel({ proxies: account.proxies, state: context.state, runtime: context.runtime });
}

/** The XMPP stack loads only for an XMPP account; password and CA files are read at each start. */
async function xmppChannel(account: XmppAccount, context: ChannelContext): Promise<Channel> {
  const password = account.passwordFile === undefined ? account.password : (await readFile(account.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  if (password === undefined) {
    throw new FosspushError('INVALID_REQUEST', `account ${account.id}: an XMPP account needs password or passwordFile`, { details: { field: `accounts.${account.id}.password` } });
  }
  const ca = account.caFile === undefined ? undefined : await readFile(account.caFile, 'utf8');
  const { createXmppChannel } = await import('@fosspush/xmpp');
  const { jid, host, port, directTls, componentJid, allowPlaintext } = account;
  return createXmppChannel({ jid, password, host, port, directTls, ca, componentJid, allowPlaintext, state: context.state, runtime: context.runtime });
}

/** The channels fosspushd ships with: push servers (WebSocket, SSE fallback), email (IMAP IDLE), OpenDHT, XMPP. */
export const createChannelForAccount: ChannelFactory = (account, context) => {
  switch (account.type) {
    case 'push-server':
      return pushServerChannel(account, context);
    case 'email':
      return emailChannel(account, context);
    case 'dht':
      return dhtChannel(account, context);
    case 'xmpp':
      return xmppChannel(account, context);
  }
};
