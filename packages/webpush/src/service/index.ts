/** Filled in by the push-server work (issue 4). */
export {};
