import { type ChannelStateStore, type EmailIdentity, FosspushError } from '@fosspush/core';

/** Where INBOX was read up to: mail with a smaller UID (under this UIDVALIDITY) was looked at. */
export interface InboxCheckpoint {
  /** IMAP UIDVALIDITY, a 32-bit number kept as a decimal string. */
  uidValidity: string;
  uidNext: number;
}

const KEYS = {
  identity: 'identity',
  registrations: 'registrations',
  inbox: 'inbox-checkpoint',
  pin: (registrationId: string) => `pin:${registrationId}`,
} as const;

function corrupt(key: string, cause?: unknown): FosspushError {
  return new FosspushError('INTERNAL', `the email channel's stored ${key} is unreadable`, { cause, details: { key } });
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw corrupt(key, cause);
  }
}

function readIdentity(text: string): EmailIdentity {
  const value = parseJson(KEYS.identity, text) as Partial<EmailIdentity> | null;
  if (typeof value?.address !== 'string' || typeof value.publicKey !== 'string' || typeof value.secretKey !== 'string') {
    throw corrupt(KEYS.identity);
  }
  return { address: value.address, publicKey: value.publicKey, secretKey: value.secretKey };
}

function readRegistrations(text: string | undefined): Set<string> {
  if (text === undefined) return new Set();
  const value = parseJson(KEYS.registrations, text);
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) throw corrupt(KEYS.registrations);
  return new Set(value);
}

function readCheckpoint(text: string | undefined): InboxCheckpoint | undefined {
  if (text === undefined) return undefined;
  const value = parseJson(KEYS.inbox, text) as Partial<InboxCheckpoint> | null;
  if (typeof value?.uidValidity !== 'string' || !Number.isSafeInteger(value.uidNext)) throw corrupt(KEYS.inbox);
  return { uidValidity: value.uidValidity, uidNext: value.uidNext as number };
}

/**
 * The email channel's durable state in the host's ChannelStateStore: the device identity (its
 * key pair, made once), the registrations, the sender key pinned for each, and the INBOX
 * checkpoint. Delivery bookkeeping (seen ids, pending deletes) is the ledger's.
 */
export function createImapStateView(store: ChannelStateStore) {
  return {
    async identity(): Promise<EmailIdentity | undefined> {
      const text = await store.get(KEYS.identity);
      return text === undefined ? undefined : readIdentity(text);
    },
    async saveIdentity(identity: EmailIdentity): Promise<void> {
      await store.set(KEYS.identity, JSON.stringify(identity));
    },
    async registrations(): Promise<Set<string>> {
      return readRegistrations(await store.get(KEYS.registrations));
    },
    async saveRegistrations(registrations: ReadonlySet<string>): Promise<void> {
      await store.set(KEYS.registrations, JSON.stringify([...registrations]));
    },
    pinnedSenderKey(registrationId: string): Promise<string | undefined> {
      return store.get(KEYS.pin(registrationId));
    },
    pinSenderKey(registrationId: string, armoredKey: string): Promise<void> {
      return store.set(KEYS.pin(registrationId), armoredKey);
    },
    forgetSenderKey(registrationId: string): Promise<void> {
      return store.delete(KEYS.pin(registrationId));
    },
    async inboxCheckpoint(): Promise<InboxCheckpoint | undefined> {
      return readCheckpoint(await store.get(KEYS.inbox));
    },
    async saveInboxCheckpoint(checkpoint: InboxCheckpoint): Promise<void> {
      await store.set(KEYS.inbox, JSON.stringify(checkpoint));
    },
  };
}

export type ImapStateView = ReturnType<typeof createImapStateView>;
