import { FosspushError } from '@fosspush/core';

/**
 * WebSocket close codes of the device wire (docs/device-wire.md). 1000-1015 are RFC 6455's;
 * 4000-4999 are for applications, and ours echo the HTTP status they correspond to.
 */
export const DEVICE_CLOSE_CODES = {
  /** The device closed the stream. */
  normal: 1000,
  /** The server is shutting down or ended the stream: reconnect. */
  goingAway: 1001,
  /** A device frame exceeded the server's limit (RFC 6455 "message too big"). */
  frameTooLarge: 1009,
  /** The push service failed: reconnect. */
  internalError: 1011,
  /** The device read too slowly and its backlog overflowed: reconnect and resume. */
  tryAgainLater: 1013,
  /** The device sent a frame that is not part of the wire. */
  protocolError: 4400,
  /** The push service does not know the subscription set: do not reconnect. */
  notFound: 4404,
} as const;

/** The close frame's reason is at most 123 bytes (RFC 6455 section 5.5). */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 123) return text;
  return new TextDecoder().decode(bytes.subarray(0, 120)).replace(/\uFFFD$/, '') + '...';
}

/** How the device reads a close it did not ask for. */
export function errorFromCloseCode(code: number, reason: string): FosspushError {
  const details = { closeCode: code, reason };
  const said = reason === '' ? '' : `: ${reason}`;
  switch (code) {
    case DEVICE_CLOSE_CODES.notFound:
      return new FosspushError('NOT_FOUND', `the push service does not know this subscription set${said}`, { details });
    case DEVICE_CLOSE_CODES.protocolError:
      return new FosspushError('PROTOCOL_ERROR', `the push service refused a frame${said}`, { details });
    case DEVICE_CLOSE_CODES.frameTooLarge:
      return new FosspushError('FRAME_TOO_LARGE', `the push service refused an oversized frame${said}`, { details });
    case DEVICE_CLOSE_CODES.internalError:
      return new FosspushError('INTERNAL', `the push service failed${said}`, { details });
    default:
      return new FosspushError('UNAVAILABLE', `the device stream closed (${code})${said}`, { details });
  }
}
