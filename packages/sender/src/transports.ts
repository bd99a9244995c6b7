import type { TokenChannel } from '@fosspush/core';
import type { SenderOptions } from './sender-options.js';
import { createDhtTransport } from './transport/dht.js';
import { createEmailTransport } from './transport/email.js';
import type { Transport } from './transport/transport.js';
import { createWebPushTransport } from './transport/webpush.js';

/** The built-in transport per channel, with any the caller passed in taking their place. */
export function createTransports(options: SenderOptions): Partial<Record<TokenChannel, Transport>> {
  return {
    webpush: options.transports?.webpush ?? createWebPushTransport(options),
    dht: options.transports?.dht ?? createDhtTransport(options),
    ...(options.email ? { email: createEmailTransport(options.email, options) } : {}),
    ...options.transports,
  };
}
