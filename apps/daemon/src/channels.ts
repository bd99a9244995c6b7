import { type Channel, FosspushError } from '@fosspush/core';
import { createSseTransport } from '@fosspush/sse';
import { createDeviceStreamChannel, type PushServerChannelOptions } from '@fosspush/webpush';
import { createWebSocketTransport } from '@fosspush/websocket';
import type { ChannelFactory, ChannelContext } from './account.js';
import type { EmailAccount, PushServerAccount } from './config.js';
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

function emailChannel(account: EmailAccount, _context: ChannelContext): Channel {
  throw new FosspushError('UNAVAILABLE', `account ${account.id}: the email channel (@fosspush/imap) is not part of this build yet`);
}

/** The channels fosspushd ships with: push servers (WebSocket, SSE fallback) and email (IMAP IDLE). */
export const createChannelForAccount: ChannelFactory = (account, context) =>
  account.type === 'push-server' ? pushServerChannel(account, context) : emailChannel(account, context);
