import { FosspushError, type FosspushErrorCode, toFosspushError } from '@fosspush/core';

/**
 * The error strings of Google's client libraries. Android apps compare
 * `IOException.getMessage()` with them; here the rejected FosspushError's `message` is that
 * string, its `code` stays the fosspush code, and `details.reason` says what happened.
 */
export const GCM_CLIENT_ERRORS = {
  SERVICE_NOT_AVAILABLE: 'SERVICE_NOT_AVAILABLE',
  MAIN_THREAD: 'MAIN_THREAD',
  TIMEOUT: 'TIMEOUT',
  RETRY_LATER: 'RETRY_LATER',
  MISSING_INSTANCEID_SERVICE: 'MISSING_INSTANCEID_SERVICE',
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  INVALID_PARAMETERS: 'INVALID_PARAMETERS',
  INVALID_SENDER: 'INVALID_SENDER',
} as const;

export type GcmClientError = (typeof GCM_CLIENT_ERRORS)[keyof typeof GCM_CLIENT_ERRORS];

const BY_CODE: Partial<Record<FosspushErrorCode, GcmClientError>> = {
  UNAVAILABLE: 'SERVICE_NOT_AVAILABLE',
  CLOSED: 'SERVICE_NOT_AVAILABLE',
  TIMEOUT: 'TIMEOUT',
  RATE_LIMITED: 'RETRY_LATER',
  PERMISSION_DENIED: 'AUTHENTICATION_FAILED',
  UNAUTHENTICATED: 'AUTHENTICATION_FAILED',
  INVALID_REQUEST: 'INVALID_PARAMETERS',
  INVALID_KEY: 'INVALID_PARAMETERS',
  // The daemon takes only registrations restricted to an app server's VAPID key: the sender
  // id given was not one, which GCM reported as INVALID_SENDER.
  VAPID_REQUIRED: 'INVALID_SENDER',
  INSECURE_PATH: 'AUTHENTICATION_FAILED',
};

/** Rewrites any failure as the GCM client error an Android app would have seen. */
export function toGcmClientError(error: unknown, timeoutName: GcmClientError = 'SERVICE_NOT_AVAILABLE'): FosspushError {
  const known = toFosspushError(error);
  const name = known.code === 'TIMEOUT' ? timeoutName : (BY_CODE[known.code] ?? 'SERVICE_NOT_AVAILABLE');
  return new FosspushError(known.code, name, { cause: known, details: { ...known.details, gcmError: name, reason: known.message } });
}

/** Runs a GCM-shaped call, mapping its failure to GCM's error strings. */
export async function gcmCall<T>(work: () => Promise<T>, timeoutName?: GcmClientError): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toGcmClientError(error, timeoutName);
  }
}
