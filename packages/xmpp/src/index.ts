/**
 * @module @fosspush/xmpp
 *
 * Push through the user's own XMPP server: `createXmppChannel` registers Web Push endpoints
 * with the server's UnifiedPush service (Prosody's mod_unified_push, the protocol
 * Conversations speaks) and receives what app servers POST there over one XMPP stream. The
 * app-server half is plain Web Push (RFC 8030/8291): any Web Push sender reaches it.
 */
export { createXmppChannel, XMPP_CHANNEL_DEFAULTS, type XmppChannel, type XmppChannelOptions, type XmppDropCounts } from './channel.js';
export { type PushStanza, parsePush, parseRegistered, type Registered, UNIFIED_PUSH_NS } from './protocol.js';
