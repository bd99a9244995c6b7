/**
 * @module @fosspush/dht
 *
 * Push over OpenDHT, through a dhtproxy's REST API: no push server to run. Both halves of the
 * wire: `createDhtChannel`, the device side, listens on one secret key per registration;
 * `sendDhtMessage`, the app-server side, puts an RFC 8291 message under that key.
 */
export { createDhtChannel, DHT_CHANNEL_DEFAULTS, type DhtChannel, type DhtChannelOptions, type DhtDropCounts } from './channel.js';
export { type DhtSendOptions, type DhtTarget, dhtTarget, sendDhtMessage } from './send.js';
export { DHT_LIMITS, type DhtEnvelope, type DhtValue, macKeyFor, openDhtValue, sealDhtValue } from './value.js';
export { INFO_HASH, registrationKeys } from './info-hash.js';
export { keyUrl, listenValues, type ProxyClientOptions, probeProxy, putValue } from './proxy-client.js';
