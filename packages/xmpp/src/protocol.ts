import { FosspushError, PUSH_LIMITS } from '@fosspush/core';
import { xml } from '@xmpp/client';

/** An XML element as @xmpp/client builds and parses them. */
export type Element = ReturnType<typeof xml>;

/**
 * UnifiedPush over XMPP, the protocol Conversations and Prosody's mod_unified_push speak
 * (described in the 'up' project at codeberg.org/inputmice/up):
 *
 * - register: `<iq type='set' to=SERVICE><register xmlns=NS application=B64 instance=B64/></iq>`,
 *   where both attributes are base64 of 32 bytes (a SHA-256); the answer is
 *   `<registered endpoint=URL expiration=XEP-0082-datetime/>`. Each register makes a new endpoint.
 * - push: the service sends `<iq type='set' from=SERVICE to=FULL-JID><push xmlns=NS
 *   application=.. instance=..>BASE64 BODY</push></iq>` to the full JID that registered, and
 *   answers the app server's POST only when the iq is answered: a result is 201, item-not-found
 *   is 404 (the endpoint is gone), service-unavailable is 503 (try later).
 * - there is no unregister: a client that forgot an instance answers its pushes item-not-found.
 */
export const UNIFIED_PUSH_NS = 'http://gultsch.de/xmpp/drafts/unified-push';
export const DISCO_INFO_NS = 'http://jabber.org/protocol/disco#info';
export const DISCO_ITEMS_NS = 'http://jabber.org/protocol/disco#items';
const STANZA_ERRORS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** Base64 text of a 4096-byte body is 5464 characters; anything longer is refused before decoding. */
const MAX_BODY_BASE64_CHARS = Math.ceil(PUSH_LIMITS.maxPayloadBytes / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function registerElement(application: string, instance: string): Element {
  return xml('register', { xmlns: UNIFIED_PUSH_NS, application, instance });
}

export interface Registered {
  endpoint: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Reads a `<registered>` answer; anything else is a PROTOCOL_ERROR. */
export function parseRegistered(element: Element | undefined): Registered {
  const endpoint = element?.attrs['endpoint'];
  const expiration = element?.attrs['expiration'];
  if (element === undefined || !element.is('registered', UNIFIED_PUSH_NS) || typeof endpoint !== 'string') {
    throw new FosspushError('PROTOCOL_ERROR', 'the UnifiedPush service answered a register without a <registered endpoint=...>');
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new FosspushError('PROTOCOL_ERROR', `the UnifiedPush service gave an endpoint that is not a URL: ${endpoint}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FosspushError('PROTOCOL_ERROR', `the UnifiedPush endpoint must be http(s): ${endpoint}`);
  const expiresAt = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (!Number.isFinite(expiresAt)) throw new FosspushError('PROTOCOL_ERROR', `the UnifiedPush service gave no valid expiration: ${String(expiration)}`);
  return { endpoint, expiresAt };
}

export interface PushStanza {
  instance: string;
  application: string;
  payload: Uint8Array;
}

/**
 * Reads a `<push>` element: INVALID_MESSAGE when it lacks its attributes or its text is not
 * base64, PAYLOAD_TOO_LARGE past 4096 bytes (checked on the text length first, so an
 * oversized body is never decoded).
 */
export function parsePush(element: Element): PushStanza {
  const instance = element.attrs['instance'];
  const application = element.attrs['application'];
  if (typeof instance !== 'string' || instance === '' || typeof application !== 'string') {
    throw new FosspushError('INVALID_MESSAGE', 'a UnifiedPush <push> needs instance and application attributes');
  }
  const text = element.text().replace(/\s+/g, '');
  if (text.length > MAX_BODY_BASE64_CHARS) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `a UnifiedPush body of ${text.length} base64 characters is over ${PUSH_LIMITS.maxPayloadBytes} bytes`);
  }
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new FosspushError('INVALID_MESSAGE', 'a UnifiedPush <push> body is not base64');
  const payload = new Uint8Array(Buffer.from(text, 'base64'));
  if (payload.length > PUSH_LIMITS.maxPayloadBytes) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `a UnifiedPush body of ${payload.length} bytes is over ${PUSH_LIMITS.maxPayloadBytes}`);
  }
  return { instance, application, payload };
}

/** A stanza error for an iq answer: `cancel`/`modify`/`wait` and an RFC 6120 condition. */
export function stanzaError(type: 'cancel' | 'modify' | 'wait', condition: string): Element {
  return xml('error', { type }, xml(condition, { xmlns: STANZA_ERRORS_NS }));
}

/** Whether a disco#info answer lists the UnifiedPush feature. */
export function offersUnifiedPush(info: Element | undefined): boolean {
  return info?.getChildren('feature').some((feature: Element) => feature.attrs['var'] === UNIFIED_PUSH_NS) ?? false;
}
