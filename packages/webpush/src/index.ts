/**
 * @module @fosspush/webpush
 *
 * The RFC 8030 wire between app server and push service: request builder and service-side validation.
 */
export {};
