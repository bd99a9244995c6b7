/**
 * @module @fosspush/server
 *
 * The fosspush push service: RFC 8030/8291/8292 Web Push for app servers, one stream per device.
 */
export {};
