/**
 * @module fosspush-server
 *
 * The fosspush push server CLI.
 */
export {};
