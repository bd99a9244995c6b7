import { type MailRigInfo, mailRigControl } from '@fosspush/testing';
import { inject } from 'vitest';

export * from './fixtures.js';

/** The project's rig, started by global-setup.ts. */
export const rigInfo = (): MailRigInfo => inject('mailRig');
export const rigControl = (info: MailRigInfo = rigInfo()) => mailRigControl(info);
