/** The email route: filled in once core's Email-notify builder and @fosspush/imap's SMTP transport land. */
import type { Runtime } from '@fosspush/core';
import type { HandshakeStore } from './handshake-store.js';
import type { Transport } from './transport.js';

export interface EmailRouteOptions {
  handshakeStore?: HandshakeStore;
}

export function createEmailTransport(_options: EmailRouteOptions, _sender: { runtime?: Partial<Runtime> }): Transport {
  throw new Error('email route not built yet');
}
