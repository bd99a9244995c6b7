import { describe, expect, it } from 'vitest';
import type { AutocryptPeerState } from './peer-state.js';
import { AUTOCRYPT_STALE_KEY_MS, recommendForPeer, recommendForRecipients } from './recommendation.js';

const day = 24 * 60 * 60 * 1000;
const key = new Uint8Array([1]);
const gossip = new Uint8Array([2]);
const fresh: AutocryptPeerState = { lastSeen: 10 * day, autocryptTimestamp: 10 * day, publicKey: key, preferEncrypt: 'mutual' };
const mutual = { accountPreferEncrypt: 'mutual' as const };
const noPreference = { accountPreferEncrypt: 'nopreference' as const };

describe('Autocrypt recommendation for one recipient', () => {
  it('disable: no peer, or no usable key at all', () => {
    expect(recommendForPeer(undefined, mutual)).toEqual({ ui: 'disable' });
    expect(recommendForPeer({ lastSeen: day, preferEncrypt: 'mutual' }, mutual)).toEqual({ ui: 'disable' });
    expect(recommendForPeer(fresh, { ...mutual, isKeyUsable: () => false })).toEqual({ ui: 'disable' });
  });

  it('encrypt when both prefer mutual and the key is fresh', () => {
    expect(recommendForPeer(fresh, mutual)).toEqual({ ui: 'encrypt', targetKey: key });
  });

  it('available when either side has no preference', () => {
    expect(recommendForPeer(fresh, noPreference)).toEqual({ ui: 'available', targetKey: key });
    expect(recommendForPeer({ ...fresh, preferEncrypt: 'nopreference' }, mutual).ui).toBe('available');
  });

  it('discourage when the key is more than 35 days older than last_seen, or only gossip is known', () => {
    expect(recommendForPeer({ ...fresh, lastSeen: 10 * day + AUTOCRYPT_STALE_KEY_MS }, mutual).ui).toBe('encrypt');
    expect(recommendForPeer({ ...fresh, lastSeen: 10 * day + AUTOCRYPT_STALE_KEY_MS + 1 }, mutual)).toEqual({ ui: 'discourage', targetKey: key });
    expect(recommendForPeer({ preferEncrypt: 'mutual', gossipKey: gossip, gossipTimestamp: day }, mutual)).toEqual({ ui: 'discourage', targetKey: gossip });
  });

  it('an unusable public key falls back to the gossip key', () => {
    const peer = { ...fresh, gossipKey: gossip };
    expect(recommendForPeer(peer, { ...mutual, isKeyUsable: (k) => k !== key })).toEqual({ ui: 'discourage', targetKey: gossip });
  });

  it('a reply to an encrypted message turns available and discourage into encrypt', () => {
    expect(recommendForPeer(fresh, { ...noPreference, replyToEncrypted: true }).ui).toBe('encrypt');
    expect(recommendForPeer({ preferEncrypt: 'nopreference', gossipKey: gossip }, { ...noPreference, replyToEncrypted: true }).ui).toBe('encrypt');
    expect(recommendForPeer(undefined, { ...noPreference, replyToEncrypted: true }).ui).toBe('disable');
  });
});

describe('Autocrypt recommendation for several recipients', () => {
  const stale = { ...fresh, lastSeen: 100 * day };
  const none = { lastSeen: day, preferEncrypt: 'nopreference' as const };

  it('disable wins, then all-encrypt, then discourage, else available', () => {
    expect(recommendForRecipients(new Map([['a', fresh], ['b', none]]), mutual).ui).toBe('disable');
    expect(recommendForRecipients(new Map([['a', fresh], ['b', fresh]]), mutual).ui).toBe('encrypt');
    expect(recommendForRecipients(new Map([['a', fresh], ['b', stale]]), mutual).ui).toBe('discourage');
    expect(recommendForRecipients(new Map([['a', fresh], ['b', { ...fresh, preferEncrypt: 'nopreference' as const }]]), mutual).ui).toBe('available');
    expect(recommendForRecipients(new Map(), mutual).ui).toBe('disable');
  });

  it('merges the target keys of all recipients that have one', () => {
    const result = recommendForRecipients(new Map<string, AutocryptPeerState | undefined>([['a', fresh], ['b', undefined], ['c', stale]]), mutual);
    expect([...result.targetKeys.keys()]).toEqual(['a', 'c']);
  });
});
