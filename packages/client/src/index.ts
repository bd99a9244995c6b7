/**
 * @module @fosspush/client
 *
 * The fosspush client SDK for apps, mirroring the GCM/FCM API.
 */
export {};
