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

/** An OpenDHT key per registration, listened on through a dhtproxy; no push server at all. */
export interface DhtAccount {
  id: string;
  type: 'dht';
  /** dhtproxy base URLs in order of preference; the channel fails over to the next. */
  proxies: string[];
}

export type AccountConfig = PushServerAccount | EmailAccount | DhtAccount;
