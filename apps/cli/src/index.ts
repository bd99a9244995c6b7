/**
 * @module fosspush
 *
 * The fosspush command line: demo, send, token inspection.
 */
export {};
