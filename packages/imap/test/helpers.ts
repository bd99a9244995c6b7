import { MAIL_RIG_SERVERS, type MailRigInfo, type MailRigServer, mailRigControl } from '@fosspush/testing';
import { inject } from 'vitest';

export * from './fixtures.js';

/** The project's rig for a server, started by global-setup.ts. */
export const rigInfo = (server: MailRigServer = 'dovecot'): MailRigInfo => inject('mailRigs')[server];
export const rigControl = (info: MailRigInfo = rigInfo()) => mailRigControl(info);
/** The servers every email-channel suite runs against. */
export const SERVERS = MAIL_RIG_SERVERS;
