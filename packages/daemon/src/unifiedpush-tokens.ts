import type { SpecVersion } from '@fosspush/dbus';
import type { Records } from './records.js';

/**
 * UnifiedPush registrations live in the store like SDK ones, under an owner of their own:
 * `unifiedpush:<service>`. An SDK app id cannot contain `:`, so the two never mix, and the
 * `instance` of such a registration is the connector's token. Beside it, one record per token
 * says which app holds it and which generation of the interface it speaks: what an Unregister
 * is checked against, and how the app is called back.
 */
export interface UnifiedPushToken {
  service: string;
  version: SpecVersion;
  /** The daemon registration that holds the subscription and the queued messages. */
  registrationId: string;
  description?: string;
}

const OWNER_PREFIX = 'unifiedpush:';

export const unifiedPushOwner = (service: string) => `${OWNER_PREFIX}${service}`;
export const isUnifiedPushOwner = (owner: string) => owner.startsWith(OWNER_PREFIX);
export const serviceOfOwner = (owner: string) => owner.slice(OWNER_PREFIX.length);

export interface UnifiedPushTokens {
  get(token: string): Promise<UnifiedPushToken | undefined>;
  set(token: string, value: UnifiedPushToken): Promise<void>;
  delete(token: string): Promise<void>;
  list(): Promise<{ token: string; value: UnifiedPushToken }[]>;
  /** The store owners of every UnifiedPush app with a registration. */
  owners(): Promise<string[]>;
}

export function createUnifiedPushTokens(records: Records): UnifiedPushTokens {
  const list = async () => (await records.list()).map(({ key, value }) => ({ token: key, value: JSON.parse(value) as UnifiedPushToken }));
  return {
    async get(token) {
      const value = await records.get(token);
      return value === undefined ? undefined : (JSON.parse(value) as UnifiedPushToken);
    },
    set: (token, value) => records.set(token, JSON.stringify(value)),
    delete: (token) => records.delete(token),
    list,
    async owners() {
      return [...new Set((await list()).map(({ value }) => unifiedPushOwner(value.service)))];
    },
  };
}
