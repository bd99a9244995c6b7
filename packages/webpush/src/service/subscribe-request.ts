import { FosspushError, fromBase64Url, utf8Decode } from '@fosspush/core';
import { type HeaderBag, headerValue } from './headers.js';
import { findLink, PUSH_LINK_RELATIONS } from './link.js';

/** RFC 8292 section 3.1: the media type of a subscribe request's options body. */
export const WEBPUSH_OPTIONS_CONTENT_TYPE = 'application/webpush-options+json';

/** Options bodies are a few hundred bytes; anything much larger is not one. */
export const MAX_SUBSCRIBE_BODY_BYTES = 1024;

export interface SubscribeRequestInput {
  method?: string;
  headers: HeaderBag;
  body: Uint8Array;
}

export interface ParsedSubscribeRequest {
  /** The `urn:ietf:params:push:set` link the device sent: add the subscription to that set. */
  setUri?: string;
  /** RFC 8292 restriction: only pushes with a VAPID token for this key (base64url) get through. */
  vapidPublicKey?: string;
}

function invalid(message: string, field: string, cause?: unknown): FosspushError {
  return new FosspushError('INVALID_REQUEST', message, { cause, details: { field } });
}

/** A VAPID key must be a P-256 point that WebCrypto accepts, or no token could ever verify. */
async function checkVapidKey(key: unknown): Promise<string> {
  if (typeof key !== 'string') throw invalid('"vapid" must be a base64url string', 'vapid');
  const raw = fromBase64Url(key, 'the vapid key', 'INVALID_KEY');
  if (raw.length !== 65 || raw[0] !== 0x04) {
    throw new FosspushError('INVALID_KEY', 'the vapid key must be an uncompressed P-256 public key (65 bytes)', { details: { field: 'vapid' } });
  }
  try {
    await globalThis.crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch (cause) {
    throw new FosspushError('INVALID_KEY', 'the vapid key is not a point on P-256', { cause, details: { field: 'vapid' } });
  }
  return key;
}

function parseOptions(contentType: string | undefined, body: Uint8Array): Record<string, unknown> {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== WEBPUSH_OPTIONS_CONTENT_TYPE && mediaType !== 'application/json') {
    throw invalid(`a subscribe request body must be ${WEBPUSH_OPTIONS_CONTENT_TYPE}`, 'Content-Type');
  }
  let options: unknown;
  try {
    options = JSON.parse(utf8Decode(body));
  } catch (cause) {
    throw invalid('the subscribe options are not valid UTF-8 JSON', 'body', cause);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('the subscribe options must be a JSON object', 'body');
  }
  return options as Record<string, unknown>;
}

/**
 * Validates a subscribe request (RFC 8030 section 4, RFC 8292 section 3.1): an optional set
 * link and an optional `{"vapid": "<key>"}` body that restricts the new subscription.
 *
 * @example
 * const { setUri, vapidPublicKey } = await parseSubscribeRequest({ headers: req.headers, body });
 */
export async function parseSubscribeRequest(input: SubscribeRequestInput): Promise<ParsedSubscribeRequest> {
  if (input.method !== undefined && input.method.toUpperCase() !== 'POST') {
    throw new FosspushError('METHOD_NOT_FOUND', `${input.method} is not allowed on the subscribe resource`, { details: { allow: 'POST' } });
  }
  if (input.body.length > MAX_SUBSCRIBE_BODY_BYTES) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `subscribe options are limited to ${MAX_SUBSCRIBE_BODY_BYTES} bytes`, {
      details: { field: 'body', limit: MAX_SUBSCRIBE_BODY_BYTES },
    });
  }
  const parsed: ParsedSubscribeRequest = {};
  const setUri = findLink(headerValue(input.headers, 'link'), PUSH_LINK_RELATIONS.set);
  if (setUri !== undefined) parsed.setUri = setUri;
  if (input.body.length > 0) {
    const options = parseOptions(headerValue(input.headers, 'content-type'), input.body);
    if (options['vapid'] !== undefined) parsed.vapidPublicKey = await checkVapidKey(options['vapid']);
  }
  return parsed;
}
