import type { PreferEncrypt } from './header.js';
import type { AutocryptPeerState } from './peer-state.js';

/** Level 1 `ui-recommendation`. */
export type UiRecommendation = 'disable' | 'discourage' | 'available' | 'encrypt';

export interface RecommendationOptions {
  /** `accounts[from-addr].prefer_encrypt` of the sending account. */
  accountPreferEncrypt: PreferEncrypt;
  /** Whether the message being composed replies to an encrypted message. @default false */
  replyToEncrypted?: boolean;
  /**
   * Whether a key can be encrypted to (not revoked, not expired). Level 1 treats an unusable key
   * as absent. Pass the result of `isKeyUsableForEncryption` computed ahead of time.
   * @default every key is usable
   */
  isKeyUsable?: (keydata: Uint8Array) => boolean;
}

export interface PeerRecommendation {
  readonly ui: UiRecommendation;
  /** The key to encrypt to (`target-keys[to-addr]`), absent when the recommendation is `disable`. */
  readonly targetKey?: Uint8Array;
}

/** Level 1: a key seen more than 35 days before the peer's latest message is stale. */
export const AUTOCRYPT_STALE_KEY_MS = 35 * 24 * 60 * 60 * 1000;

/**
 * The Level 1 recommendation for one recipient ("Recommendations for single-recipient
 * messages"): a pure function of the peer state.
 *
 * @example
 * const { ui, targetKey } = recommendForPeer(peers.get(to), { accountPreferEncrypt: 'mutual' });
 */
export function recommendForPeer(peer: AutocryptPeerState | undefined, options: RecommendationOptions): PeerRecommendation {
  if (peer === undefined) return { ui: 'disable' };
  const usable = (key: Uint8Array | undefined) => (key !== undefined && (options.isKeyUsable?.(key) ?? true) ? key : undefined);
  const publicKey = usable(peer.publicKey);
  const gossipKey = usable(peer.gossipKey);
  if (publicKey === undefined && gossipKey === undefined) return { ui: 'disable' };

  let preliminary: UiRecommendation;
  let targetKey: Uint8Array;
  if (publicKey === undefined) {
    preliminary = 'discourage';
    targetKey = gossipKey as Uint8Array;
  } else {
    targetKey = publicKey;
    const stale =
      peer.autocryptTimestamp !== undefined && peer.lastSeen !== undefined && peer.lastSeen - peer.autocryptTimestamp > AUTOCRYPT_STALE_KEY_MS;
    preliminary = stale ? 'discourage' : 'available';
  }

  const encrypt =
    options.replyToEncrypted === true ||
    (preliminary === 'available' && peer.preferEncrypt === 'mutual' && options.accountPreferEncrypt === 'mutual');
  return { ui: encrypt ? 'encrypt' : preliminary, targetKey };
}

export interface MessageRecommendation {
  readonly ui: UiRecommendation;
  /** Canonical recipient address to the key to encrypt to, for every recipient that has one. */
  readonly targetKeys: ReadonlyMap<string, Uint8Array>;
}

/**
 * The Level 1 recommendation for a message to several recipients: `disable` if any recipient is
 * disabled, `encrypt` if all are, else `discourage` if any is, else `available`.
 *
 * @example
 * const { ui, targetKeys } = recommendForRecipients(new Map(to.map((a) => [a, peers.get(a)])), { accountPreferEncrypt: 'mutual' });
 */
export function recommendForRecipients(
  peers: ReadonlyMap<string, AutocryptPeerState | undefined>,
  options: RecommendationOptions,
): MessageRecommendation {
  const targetKeys = new Map<string, Uint8Array>();
  const uis: UiRecommendation[] = [];
  for (const [address, peer] of peers) {
    const recommendation = recommendForPeer(peer, options);
    uis.push(recommendation.ui);
    if (recommendation.targetKey !== undefined) targetKeys.set(address, recommendation.targetKey);
  }
  let ui: UiRecommendation = 'available';
  if (uis.length === 0 || uis.includes('disable')) ui = 'disable';
  else if (uis.every((each) => each === 'encrypt')) ui = 'encrypt';
  else if (uis.includes('discourage')) ui = 'discourage';
  return { ui, targetKeys };
}
