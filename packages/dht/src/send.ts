import { FosspushError, type PushMessage, type PushToken, resolveRuntime, type Runtime } from '@fosspush/core';
import { INFO_HASH } from './info-hash.js';
import { type ProxyClientOptions, putValue } from './proxy-client.js';
import { macKeyFor, sealDhtValue } from './value.js';

/** Where a `dht` token's messages go: its key, its MAC secret, and the proxies it names. */
export interface DhtTarget {
  infoHash: string;
  macSecret: string;
  /** The token's proxy first, then its alternates. */
  proxies: string[];
}

export interface DhtSendOptions extends ProxyClientOptions {
  /**
   * Put through these proxies instead of the token's: every proxy reaches the same DHT, so an
   * app server may use one it trusts or runs. @default the token's proxies
   */
  proxies?: readonly string[];
  /** RFC 8292: signs the value for registrations restricted to a VAPID key. */
  vapid?: { authorization(endpointOrAudience: string): string | Promise<string> };
  runtime?: Partial<Runtime>;
}

/** Reads a `dht` token's target; INVALID_TOKEN when the token is not one. */
export function dhtTarget(token: PushToken): DhtTarget {
  const invalid = (message: string) => new FosspushError('INVALID_TOKEN', message);
  if (token.channel !== 'dht') throw invalid(`a ${token.channel} token is not a DHT token`);
  const url = new URL(token.endpoint);
  const match = /^(.*)\/key\/([0-9a-f]{40})$/.exec(url.pathname);
  if (match === null || !INFO_HASH.test(match[2] as string)) throw invalid('a DHT token endpoint must end in /key/<40 hex digits>');
  const macSecret = token.extras['mk'];
  if (macSecret === undefined) throw invalid('a DHT token needs its MAC secret (extras.mk)');
  const alternates = (token.extras['proxies'] ?? '').split(' ').filter((proxy) => proxy !== '');
  return { infoHash: match[2] as string, macSecret, proxies: [`${url.origin}${match[1]}`, ...alternates] };
}

/**
 * The app-server half: seals an already encrypted (RFC 8291) message for a `dht` token and puts
 * it on the DHT, trying each proxy in turn while they fail transiently or only keep the value on
 * their own node (a 502 from OpenDHT's proxy). A proxy that refuses the
 * value (4xx) ends the attempt with INVALID_REQUEST; when every proxy is unreachable the error is
 * UNAVAILABLE or TIMEOUT, which callers may retry.
 *
 * @example
 * const payload = await encryptWebPush(utf8Encode('{"data":{}}'), token);
 * await sendDhtMessage(token, createPushMessage({ payload, ttlSeconds: 300 }));
 */
export async function sendDhtMessage(token: PushToken, message: PushMessage, options: DhtSendOptions = {}): Promise<void> {
  const target = dhtTarget(token);
  const runtime = resolveRuntime(options.runtime);
  const macKey = await macKeyFor(target.macSecret, target.infoHash);
  const vapid = options.vapid === undefined ? undefined : await options.vapid.authorization(target.proxies[0] as string);
  const value = await sealDhtValue(message, macKey, runtime.random.bytes(8), vapid);
  let lastError: FosspushError | undefined;
  let keptLocally = false;
  for (const proxy of options.proxies ?? target.proxies) {
    try {
      if ((await putValue(proxy, target.infoHash, value, options)) === 'stored') return;
      // Kept by that proxy's node only: put it through the next proxy too, if there is one.
      keptLocally = true;
    } catch (error) {
      if (!(error instanceof FosspushError) || error.code === 'INVALID_REQUEST') throw error;
      lastError = error;
    }
  }
  if (keptLocally) return;
  throw lastError ?? new FosspushError('INVALID_REQUEST', 'no DHT proxy to put through');
}
