/**
 * @module @fosspush/sender
 *
 * The fosspush sender SDK for app servers, in node-gcm and firebase-admin shapes.
 */
export {};
