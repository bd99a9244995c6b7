import { type MailRigInfo, startMailRig } from '@fosspush/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mailRig: MailRigInfo;
  }
}

/**
 * Users per test file, so files running in parallel never share a mailbox. `sieve: false` is a
 * mailbox whose server files nothing: notifications land in INBOX.
 */
export const RIG_USERS = [
  { name: 'deliver-sieve' },
  { name: 'deliver-plain', sieve: false },
  { name: 'deliver-conn', sieve: false },
  { name: 'forged-sieve' },
  { name: 'forged-plain', sieve: false },
  { name: 'burst' },
  { name: 'smtp' },
  { name: 'msieve-fresh', sieve: false },
  { name: 'msieve-own', sieve: false },
];

export default async function setup(project: TestProject) {
  const rig = await startMailRig({ users: RIG_USERS });
  project.provide('mailRig', rig.info);
  return () => rig.stop();
}
