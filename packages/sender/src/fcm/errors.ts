import { type FcmErrorCode, type FosspushError, toFcmErrorCode } from '@fosspush/core';

/**
 * firebase-admin's `FirebaseError` interface, which code written for firebase-admin reads
 * (`error.code === 'messaging/registration-token-not-registered'`). The FosspushError behind
 * it, with fosspush's own code, is its `cause`.
 */
export interface MessagingError extends Error {
  readonly code: FcmErrorCode;
  readonly codePrefix: 'messaging';
  readonly cause: FosspushError;
  toJSON(): { code: FcmErrorCode; message: string };
}

/**
 * Presents a FosspushError in firebase-admin's shape at this API boundary. It is an `Error`
 * that carries the FosspushError as `cause`, not another error class: inside fosspush the
 * FosspushError stays the one error type.
 */
export function toMessagingError(error: FosspushError): MessagingError {
  const code = toFcmErrorCode(error.code);
  const wrapped = new Error(error.message, { cause: error });
  wrapped.name = 'FirebaseMessagingError';
  return Object.assign(wrapped, {
    code,
    codePrefix: 'messaging' as const,
    cause: error,
    toJSON: () => ({ code, message: error.message }),
  });
}
