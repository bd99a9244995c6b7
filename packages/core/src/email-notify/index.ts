/** Filled in by the email-notify work (issue 3). */
export {};
