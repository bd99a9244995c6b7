import { type Runtime, resolveRuntime } from '../runtime.js';
import { canonicalizeAddress, singleAddress } from './address.js';
import { parseRfc5322Date } from './date.js';
import { AUTOCRYPT_HEADER, type AutocryptHeader, type PreferEncrypt, selectAutocryptHeader } from './header.js';

/**
 * What an Autocrypt MUA keeps per peer (Level 1, "Communication Peers"); times in milliseconds
 * since the epoch. Field names are the spec's in camelCase: `last_seen` is `lastSeen`...
 */
export interface AutocryptPeerState {
  /** Effective date of the newest message processed from this peer; absent if only gossip was seen. */
  readonly lastSeen?: number;
  /** Effective date of the newest message with a valid Autocrypt header from this peer. */
  readonly autocryptTimestamp?: number;
  /** `keydata` of that youngest Autocrypt header. */
  readonly publicKey?: Uint8Array;
  readonly preferEncrypt: PreferEncrypt;
  /** Effective date of the newest message that gossiped a key for this peer. */
  readonly gossipTimestamp?: number;
  readonly gossipKey?: Uint8Array;
}

/** One processed message, as far as the peer-state rules need it. */
export interface AutocryptObservation {
  readonly effectiveDate: number;
  /** The single valid Autocrypt header of the message, if it had one. */
  readonly header?: AutocryptHeader;
}

/**
 * The "effective date" of a message: its `Date` header, or the time of receipt if the date is
 * missing, unreadable or in the future.
 */
export function effectiveDate(dateHeader: string | undefined, receivedAt: number): number {
  const date = dateHeader === undefined ? undefined : parseRfc5322Date(dateHeader);
  return date === undefined || date > receivedAt ? receivedAt : date;
}

/**
 * Applies the Level 1 update rules ("Updating Autocrypt Peer State") to a peer's state, returning
 * the new state. The input is never modified.
 *
 * @example
 * peers.set(from, updatePeerState(peers.get(from), { effectiveDate, header }));
 */
export function updatePeerState(peer: AutocryptPeerState | undefined, observation: AutocryptObservation): AutocryptPeerState {
  const { effectiveDate: date, header } = observation;
  // 1. A message older than the newest Autocrypt header changes nothing.
  if (peer?.autocryptTimestamp !== undefined && date < peer.autocryptTimestamp) return peer;
  // 2. last_seen moves forward only.
  let next: AutocryptPeerState = peer ?? { preferEncrypt: 'nopreference' };
  if (next.lastSeen === undefined || date > next.lastSeen) next = { ...next, lastSeen: date };
  // 3. Without a header nothing else changes.
  if (header === undefined) return next;
  // 4-6. The header's key and preference replace what was known.
  return { ...next, autocryptTimestamp: date, publicKey: header.keydata, preferEncrypt: header.preferEncrypt };
}

/** Level 1 "Updating Autocrypt Peer State from Key Gossip" (the gossip header's addr is already checked). */
export function updatePeerGossip(peer: AutocryptPeerState | undefined, observation: Required<AutocryptObservation>): AutocryptPeerState {
  if (peer?.gossipTimestamp !== undefined && peer.gossipTimestamp > observation.effectiveDate) return peer;
  return { ...(peer ?? { preferEncrypt: 'nopreference' }), gossipTimestamp: observation.effectiveDate, gossipKey: observation.header.keydata };
}

/** A header field as read from a message: name (any case) and unfolded or raw value. */
export type HeaderField = readonly [name: string, value: string];

export interface AutocryptMessageInfo {
  /** Canonical `From` address: the key into the peers table. */
  readonly peer: string;
  readonly effectiveDate: number;
  readonly header?: AutocryptHeader;
}

const lookup = (fields: readonly HeaderField[], name: string) =>
  fields.filter(([fieldName]) => fieldName.toLowerCase() === name.toLowerCase()).map(([, value]) => value);

/**
 * Reads what the peer-state update needs from a received message's top-level header fields,
 * or undefined when Level 1 says the message must be ignored: it is auto-replied
 * (`Auto-Submitted: auto-replied`), a `multipart/report`, or its `From` does not hold exactly
 * one address. The receipt time comes from the injected clock.
 *
 * @example
 * const info = readAutocryptMessage([['From', 'bob@example.net'], ['Autocrypt', value]]);
 * if (info) peers.set(info.peer, updatePeerState(peers.get(info.peer), info));
 */
export function readAutocryptMessage(fields: readonly HeaderField[], runtime: Partial<Runtime> = {}): AutocryptMessageInfo | undefined {
  const from = lookup(fields, 'From');
  const fromAddress = from.length === 1 ? singleAddress(from[0] as string) : undefined;
  if (fromAddress === undefined) return undefined;
  if (lookup(fields, 'Auto-Submitted').some((value) => value.trim().toLowerCase().startsWith('auto-replied'))) return undefined;
  if (lookup(fields, 'Content-Type').some((value) => /^\s*multipart\/report\b/i.test(value))) return undefined;
  const date = lookup(fields, 'Date');
  const header = selectAutocryptHeader(lookup(fields, AUTOCRYPT_HEADER), fromAddress);
  const info = {
    peer: canonicalizeAddress(fromAddress),
    effectiveDate: effectiveDate(date.length === 1 ? date[0] : undefined, resolveRuntime(runtime).clock.now()),
  };
  return header === undefined ? info : { ...info, header };
}
