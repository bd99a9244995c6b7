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

/** An account on the user's own XMPP server, whose UnifiedPush service (mod_unified_push) takes the pushes. */
export interface XmppAccount {
  id: string;
  type: 'xmpp';
  /** The bare JID, `alice@example.org`. */
  jid: string;
  /** The password, or `passwordFile`. */
  password?: string;
  /** A file holding the password (trailing newline ignored), read when the account starts. */
  passwordFile?: string;
  /** @default the JID's domain */
  host?: string;
  /** @default 5222, or 5223 with `directTls` */
  port?: number;
  /** TLS from the first byte instead of STARTTLS (Prosody's c2s_direct_tls_ports). @default false */
  directTls?: boolean;
  /** A PEM file of CA certificates to check the server's certificate against, read when the account starts. @default the system's CAs */
  caFile?: string;
  /** The UnifiedPush service's JID when discovery finds none. @default discovered */
  componentJid?: string;
  /** Allow a connection without TLS (a server on loopback). @default false */
  allowPlaintext?: boolean;
}

export type AccountConfig = PushServerAccount | EmailAccount | DhtAccount | XmppAccount;
