import { utf8Decode } from '@fosspush/core';

/**
 * The plaintext convention every fosspush sender follows (docs/migrating-from-gcm.md): UTF-8
 * JSON `{"data": {string: string}, "notification"?: {string: string}}`, encrypted with RFC 8291.
 * Anything else (a raw UnifiedPush body, a foreign Web Push sender) still arrives: `data` is
 * then empty and the bytes are in `rawData`.
 */
export interface DecodedPayload {
  data: Record<string, string>;
  notification?: Record<string, string>;
  /** The sender's collapse key when the RFC 8030 Topic carries only its hash. */
  collapseKey?: string;
  /** False when the plaintext did not follow the convention. */
  conventional: boolean;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') return undefined;
    out[key] = entry;
  }
  return out;
}

export function decodePayload(plaintext: Uint8Array): DecodedPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(plaintext));
  } catch {
    return { data: {}, conventional: false };
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { data?: unknown; notification?: unknown; collapseKey?: unknown };
  const data = stringMap(body.data ?? {});
  if (!data) return { data: {}, conventional: false };
  const notification = body.notification === undefined ? undefined : stringMap(body.notification);
  const decoded: DecodedPayload = notification === undefined ? { data, conventional: true } : { data, notification, conventional: true };
  if (typeof body.collapseKey === 'string') decoded.collapseKey = body.collapseKey;
  return decoded;
}
