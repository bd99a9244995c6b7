/**
 * @module fosspushd
 *
 * The fosspush device daemon.
 */
export {};
