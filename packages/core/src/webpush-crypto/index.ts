/**
 * Web Push crypto: message encryption (RFC 8291 on the RFC 8188 aes128gcm content coding) and
 * sender authentication (RFC 8292 VAPID), on WebCrypto alone so that it runs in Node, browsers
 * and React Native; message encryption takes other primitives (`WebPushCrypto`) as an option.
 * Usage and error codes: docs/crypto.md.
 */
export { type ContentEncryptOptions, type ContentKeyLookup, type CryptoBackendOption, decryptContent, encryptContent } from './ece.js';
export { type WebPushCrypto, webCryptoWebPush } from './primitives.js';
export {
  createVapidSigner,
  generateVapidKeys,
  VAPID_DEFAULTS,
  type VapidKeys,
  type VapidSigner,
  type VapidSignerOptions,
  type VapidVerifyOptions,
  type VerifiedVapid,
  verifyVapid,
} from './vapid.js';
export {
  decryptWebPush,
  type EncryptOptions,
  encryptWebPush,
  generateSubscriptionKeys,
  MAX_WEB_PUSH_PLAINTEXT_BYTES,
  type SubscriptionKeys,
  WEB_PUSH_HEADER_BYTES,
} from './webpush.js';
