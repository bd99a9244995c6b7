import { MAIL_RIG_SERVERS, type MailRigInfo, type MailRigServer, startMailRig } from '@fosspush/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mailRigs: Record<MailRigServer, MailRigInfo>;
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
  { name: 'folders' },
];

/** One rig per IMAP server (Dovecot and Cyrus), both for the whole project: suites run on each. */
export default async function setup(project: TestProject) {
  const started = await Promise.allSettled(MAIL_RIG_SERVERS.map((server) => startMailRig({ server, users: RIG_USERS })));
  const rigs = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(rigs.map((rig) => rig.stop()));
    throw failed.reason;
  }
  project.provide('mailRigs', Object.fromEntries(rigs.map((rig) => [rig.server, rig.info])) as Record<MailRigServer, MailRigInfo>);
  return () => Promise.all(rigs.map((rig) => rig.stop())).then(() => undefined);
}
