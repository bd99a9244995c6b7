/** Filled in by the webpush-crypto work (issue 3). */
export {};
