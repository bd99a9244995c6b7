/** The push accounts a daemon holds: what `createDaemon({ accounts })` takes. */

export type TransportPreference = 'auto' | 'websocket' | 'sse';

/** A push server reached over the device wire: WebSocket, with SSE as the fallback. */
export interface PushServerAccount {
  id: string;
  type: 'push-server';
  /** The push server's base URL, e.g. `https://push.example.org`. */
  url: string;
  /** @default 'auto' (WebSocket first, SSE when WebSocket cannot connect) */
  transport?: TransportPreference;
}

/** A mailbox watched with IMAP IDLE; `options` go to `createImapChannel` as they are. */
export interface EmailAccount {
  id: string;
  type: 'email';
  options: Readonly<Record<string, unknown>>;
}

export type AccountConfig = PushServerAccount | EmailAccount;
