/**
 * node-gcm's `Constants`, with node-gcm's keys and values, so code that compares against
 * `gcm.Constants.ERROR_NOT_REGISTERED` keeps working. The endpoint and timing values are
 * node-gcm's and are not used by fosspush: it sends to each token's own push service.
 */
export const Constants = Object.freeze({
  GCM_SEND_ENDPOINT: 'fcm.googleapis.com',
  GCM_SEND_ENDPATH: '/fcm/send',
  GCM_SEND_URI: 'https://fcm.googleapis.com/fcm/send',
  BACKOFF_INITIAL_DELAY: 1000,
  MAX_BACKOFF_DELAY: 1_024_000,
  SOCKET_TIMEOUT: 180_000,
  TOKEN_MESSAGE_ID: 'id',
  TOKEN_CANONICAL_REG_ID: 'registration_id',
  TOKEN_ERROR: 'Error',
  JSON_REGISTRATION_IDS: 'registration_ids',
  JSON_PAYLOAD: 'data',
  JSON_NOTIFICATION: 'notification',
  JSON_SUCCESS: 'success',
  JSON_FAILURE: 'failure',
  JSON_CANONICAL_IDS: 'canonical_ids',
  JSON_MULTICAST_ID: 'multicast_id',
  JSON_RESULTS: 'results',
  JSON_ERROR: 'error',
  JSON_MESSAGE_ID: 'message_id',
  UTF8: 'UTF-8',
  ERROR_QUOTA_EXCEEDED: 'QuotaExceeded',
  ERROR_DEVICE_QUOTA_EXCEEDED: 'DeviceQuotaExceeded',
  ERROR_MISSING_REGISTRATION: 'MissingRegistration',
  ERROR_INVALID_REGISTRATION: 'InvalidRegistration',
  ERROR_MISMATCH_SENDER_ID: 'MismatchSenderId',
  ERROR_NOT_REGISTERED: 'NotRegistered',
  ERROR_MESSAGE_TOO_BIG: 'MessageTooBig',
  ERROR_MISSING_COLLAPSE_KEY: 'MissingCollapseKey',
  ERROR_UNAVAILABLE: 'Unavailable',
  ERROR_INTERNAL_SERVER_ERROR: 'InternalServerError',
} as const);

/**
 * node-gcm's `Result`, deprecated there too: a holder with `messageId`,
 * `canonicalRegistrationId` and `errorCode`, all unset until code fills them.
 * @deprecated as in node-gcm; read `response.results` instead.
 */
export class Result {
  messageId: string | undefined = undefined;
  canonicalRegistrationId: string | undefined = undefined;
  errorCode: string | undefined = undefined;
}

/**
 * node-gcm's `MulticastResult`, deprecated there too.
 * @deprecated as in node-gcm; read the `GcmResponse` a send resolves with instead.
 */
export class MulticastResult {
  success: number | undefined = undefined;
  failure: number | undefined = undefined;
  canonicalIds: number | undefined = undefined;
  multicastId: number | undefined = undefined;
  results: Result[] = [];
  retryMulticastIds: number[] = [];

  addResult(result: Result): void {
    this.results.push(result);
  }

  getTotal(): number {
    return (this.success ?? Number.NaN) + (this.failure ?? Number.NaN);
  }
}
