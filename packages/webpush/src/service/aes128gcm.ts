import { FosspushError, WEB_PUSH_HEADER_BYTES } from '@fosspush/core';

/** Smallest record: the one-byte padding delimiter plus the 16-byte GCM tag. */
const MIN_RECORD_BYTES = 17;
const MIN_RECORD_SIZE = 18;

/**
 * Checks that a body has the shape of an RFC 8291 aes128gcm message. The service cannot
 * decrypt it (only the device can); this only turns away bodies that no device could decrypt,
 * with a 400 that tells the sender why, instead of a silent failure on the device.
 */
export function checkAes128gcmBody(body: Uint8Array): void {
  const fail = (why: string) =>
    new FosspushError('INVALID_REQUEST', `the body is not an RFC 8291 aes128gcm message: ${why}`, {
      details: { field: 'body' },
    });
  if (body.length < WEB_PUSH_HEADER_BYTES + MIN_RECORD_BYTES) {
    throw fail(`${body.length} bytes is shorter than the smallest possible message`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getUint32(16) < MIN_RECORD_SIZE) throw fail('the record size is below 18');
  if (body[20] !== 65 || body[21] !== 0x04) throw fail('the key id is not an uncompressed P-256 public key');
}
