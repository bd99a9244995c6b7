/** Filled in by the autocrypt work (issue 3). */
export {};
