import type { Registration, Runtime, Store, StoredMessage } from '@fosspush/core';
import { toBase64Url } from '@fosspush/core';
import type { IpcMessage, RegistrationInfo } from '@fosspush/ipc';
import type { Account } from './account.js';
import type { AppCredentials } from './app-credentials.js';
import type { AppQueues } from './app-queues.js';
import type { Logger } from '@fosspush/core';
import type { Observers } from './observers.js';
import { toInfo } from './registration-record.js';
import type { RegistrationIndex } from './registration-index.js';

/** What the daemon's parts share once it has started. */
export interface DaemonContext {
  readonly store: Store;
  readonly credentials: AppCredentials;
  readonly accounts: ReadonlyMap<string, Account>;
  readonly defaultAccount: string;
  readonly index: RegistrationIndex;
  readonly observers: Observers;
  readonly queues: AppQueues;
  /** Serialises work per app id. */
  readonly perApp: <T>(appId: string, task: () => Promise<T>) => Promise<T>;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly minRetentionSeconds: number;
  /** Every owner with registrations: SDK apps and UnifiedPush apps. */
  readonly owners: () => Promise<string[]>;
  /** Refuse new push-server registrations that are not restricted to a VAPID key. */
  readonly requireVapid: boolean;
}

export function registrationInfo(context: DaemonContext, registration: Registration): RegistrationInfo {
  const account = context.accounts.get(registration.data['account'] ?? '');
  return toInfo(registration, account?.capabilities ?? { upstream: false, topics: false });
}

export function toIpcMessage(message: StoredMessage): IpcMessage {
  const wire: IpcMessage = {
    id: message.id,
    seq: message.seq,
    registrationId: message.registrationId,
    payload: toBase64Url(message.payload),
    sentAt: message.sentAt,
    ttlSeconds: message.ttlSeconds,
    urgency: message.urgency,
  };
  return message.topic === undefined ? wire : { ...wire, topic: message.topic };
}

/** Every registration of every app the daemon knows. */
export async function allRegistrations(context: DaemonContext): Promise<Registration[]> {
  const apps = await context.owners();
  const lists = await Promise.all(apps.map((appId) => context.store.listRegistrations(appId)));
  return lists.flat();
}
