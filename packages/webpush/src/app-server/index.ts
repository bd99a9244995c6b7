/**
 * @module @fosspush/webpush/app-server
 *
 * The application server's half of the RFC 8030 wire: build the request that delivers a push,
 * and read the push service's refusal. Encrypts with `node:crypto` by default (`./node`).
 */
export * from './build-push-request.js';
export { errorFromStatus, parseRetryAfterMs, type RefusalDetails, refusalDetails } from '../user-agent/http-errors.js';
