import { createHash } from 'node:crypto';
import { PUSH_LIMITS, toBase64Url, utf8Encode } from '@fosspush/core';

const TOPIC_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * A GCM/FCM collapse key as an RFC 8030 `Topic` (at most 32 base64url characters). A key that
 * already fits is used as it is, so it stays readable in push-service logs; any other key is
 * hashed (SHA-256, base64url, first 32 characters: 192 bits), so equal keys still collapse
 * and different keys practically never do.
 *
 * @example
 * collapseKeyToTopic('inbox');                  // 'inbox'
 * collapseKeyToTopic('new mail for alice@x.y'); // 32 base64url characters
 */
export function collapseKeyToTopic(collapseKey: string): string {
  if (collapseKey.length <= PUSH_LIMITS.maxTopicLength && TOPIC_PATTERN.test(collapseKey)) return collapseKey;
  const digest = createHash('sha256').update(utf8Encode(collapseKey)).digest();
  return toBase64Url(new Uint8Array(digest.buffer, digest.byteOffset, digest.length)).slice(0, PUSH_LIMITS.maxTopicLength);
}
