import { describe, expect, it } from 'vitest';
import { manualClock } from '../runtime.js';
import { toBase64 } from './base64.js';
import type { AutocryptHeader } from './header.js';
import { type AutocryptPeerState, effectiveDate, readAutocryptMessage, updatePeerGossip, updatePeerState } from './peer-state.js';

const day = 24 * 60 * 60 * 1000;
const key = (n: number) => new Uint8Array([0x99, n]);
const header = (n: number, preferEncrypt: AutocryptHeader['preferEncrypt'] = 'mutual'): AutocryptHeader => ({
  addr: 'bob@example.net',
  preferEncrypt,
  keydata: key(n),
});

describe('Autocrypt peer state', () => {
  it('creates state from a first message with a header', () => {
    expect(updatePeerState(undefined, { effectiveDate: 10 * day, header: header(1) })).toEqual({
      lastSeen: 10 * day,
      autocryptTimestamp: 10 * day,
      publicKey: key(1),
      preferEncrypt: 'mutual',
    });
  });

  it('a message without header moves last_seen only', () => {
    const peer = updatePeerState(undefined, { effectiveDate: 10 * day, header: header(1) });
    expect(updatePeerState(peer, { effectiveDate: 20 * day })).toEqual({ ...peer, lastSeen: 20 * day });
    expect(updatePeerState(undefined, { effectiveDate: 5 * day })).toEqual({ lastSeen: 5 * day, preferEncrypt: 'nopreference' });
  });

  it('a message older than autocrypt_timestamp changes nothing (rule 1)', () => {
    const peer = updatePeerState(undefined, { effectiveDate: 10 * day, header: header(1) });
    expect(updatePeerState(peer, { effectiveDate: 9 * day, header: header(2, 'nopreference') })).toBe(peer);
    expect(updatePeerState(peer, { effectiveDate: 9 * day })).toBe(peer);
  });

  it('last_seen never moves back, a newer header replaces key and preference (rules 2-6)', () => {
    let peer: AutocryptPeerState = updatePeerState(undefined, { effectiveDate: 10 * day, header: header(1) });
    peer = updatePeerState(peer, { effectiveDate: 30 * day });
    peer = updatePeerState(peer, { effectiveDate: 20 * day, header: header(2, 'nopreference') });
    expect(peer).toEqual({ lastSeen: 30 * day, autocryptTimestamp: 20 * day, publicKey: key(2), preferEncrypt: 'nopreference' });
  });

  it('gossip updates gossip_key unless the stored gossip is newer', () => {
    const peer = updatePeerGossip(undefined, { effectiveDate: 10 * day, header: header(5) });
    expect(peer).toEqual({ preferEncrypt: 'nopreference', gossipTimestamp: 10 * day, gossipKey: key(5) });
    expect(updatePeerGossip(peer, { effectiveDate: 9 * day, header: header(6) })).toBe(peer);
    expect(updatePeerGossip(peer, { effectiveDate: 11 * day, header: header(6) }).gossipKey).toEqual(key(6));
  });

  it('the effective date is the Date header unless missing, unreadable or in the future', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(effectiveDate('Thu, 01 Jan 2026 00:00:00 +0000', now)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(effectiveDate('Sat, 03 Jan 2026 00:00:00 +0000', now)).toBe(now);
    expect(effectiveDate('garbage', now)).toBe(now);
    expect(effectiveDate(undefined, now)).toBe(now);
  });
});

describe('readAutocryptMessage', () => {
  const keydata = toBase64(key(1));
  const base: [string, string][] = [
    ['From', 'Bob <bob@example.net>'],
    ['Date', 'Thu, 01 Jan 2026 00:00:00 +0000'],
    ['Autocrypt', `addr=bob@example.net; keydata=${keydata}`],
  ];
  const runtime = { clock: manualClock(Date.parse('2026-02-01T00:00:00Z')) };

  it('reads peer, effective date and the single valid header, the receipt time from the clock', () => {
    expect(readAutocryptMessage(base, runtime)).toEqual({
      peer: 'bob@example.net',
      effectiveDate: Date.parse('2026-01-01T00:00:00Z'),
      header: { addr: 'bob@example.net', preferEncrypt: 'nopreference', keydata: key(1) },
    });
    expect(readAutocryptMessage(base.filter(([name]) => name !== 'Date'), runtime)?.effectiveDate).toBe(runtime.clock.now());
  });

  it('discards every header when two are valid, keeping the peer update', () => {
    const twice = [...base, ['autocrypt', `addr=BOB@example.net; keydata=${keydata}`] as [string, string]];
    expect(readAutocryptMessage(twice, runtime)).toEqual({ peer: 'bob@example.net', effectiveDate: Date.parse('2026-01-01T00:00:00Z') });
  });

  it('ignores auto-replies, reports and messages without exactly one From address', () => {
    expect(readAutocryptMessage([...base, ['Auto-Submitted', 'auto-replied']], runtime)).toBeUndefined();
    expect(readAutocryptMessage([...base, ['Content-Type', 'multipart/report; report-type=disposition-notification']], runtime)).toBeUndefined();
    expect(readAutocryptMessage([['From', 'a@example.org, b@example.org'], ...base.slice(1)], runtime)).toBeUndefined();
    expect(readAutocryptMessage(base.slice(1), runtime)).toBeUndefined();
    expect(readAutocryptMessage([...base, ['Auto-Submitted', 'no']], runtime)).toBeDefined();
  });
});
