import { bufferSource, fromBase64Url, toBase64Url, utf8Encode } from '@fosspush/core';

/** A key on the DHT: 20 bytes as 40 lowercase hex digits (OpenDHT's InfoHash). */
export const INFO_HASH = /^[0-9a-f]{40}$/;

async function hmac(secret: Uint8Array, label: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', bufferSource(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, bufferSource(utf8Encode(label))));
}

/**
 * A registration's DHT key and MAC secret, both derived from the account's secret and the
 * registration id, so the channel stores only ids and a restart yields the same tokens. Without
 * the account secret nobody can guess a key to listen on or flood.
 */
export async function registrationKeys(accountSecret: string, registrationId: string): Promise<{ infoHash: string; macSecret: string }> {
  const secret = fromBase64Url(accountSecret, 'the account secret', 'INVALID_KEY');
  const [hash, mac] = await Promise.all([hmac(secret, `info-hash:${registrationId}`), hmac(secret, `mac:${registrationId}`)]);
  const infoHash = Array.from(hash.subarray(0, 20), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return { infoHash, macSecret: toBase64Url(mac) };
}
