import { FosspushError } from '@fosspush/core';
import type { ClientOptions } from './app-session.js';
import { GCM_CLIENT_ERRORS, gcmCall } from './gcm-errors.js';
import { senderRestriction } from './sender-restriction.js';
import { sessionFor } from './sessions.js';

export interface TokenOptions {
  /** RFC 8292: only pushes signed with this VAPID public key reach the token. */
  vapidPublicKey?: string;
  /** A daemon account id; absent means the daemon's default account. */
  account?: string;
}

/** The instance name a token lives under: `<authorizedEntity>|<scope>`. */
export function instanceName(authorizedEntity: string, scope: string): string {
  if (!authorizedEntity || !scope || authorizedEntity.includes('|') || scope.includes('|')) {
    throw new FosspushError('INVALID_REQUEST', 'authorizedEntity and scope must be non-empty and must not contain "|"');
  }
  return `${authorizedEntity}|${scope}`;
}

/**
 * Mirrors `com.google.android.gms.iid.InstanceID`: a stable id for this app install and one
 * token per (authorized entity, scope). Getters are async because the id lives in the app's
 * key file.
 *
 * @example
 * const iid = InstanceID.getInstance({ appId: 'org.example.chat' });
 * const token = await iid.getToken('123456789', InstanceID.INSTANCE_ID_SCOPE);
 */
export class InstanceID {
  static readonly ERROR_SERVICE_NOT_AVAILABLE = GCM_CLIENT_ERRORS.SERVICE_NOT_AVAILABLE;
  static readonly ERROR_TIMEOUT = GCM_CLIENT_ERRORS.TIMEOUT;
  static readonly ERROR_BACKOFF = GCM_CLIENT_ERRORS.RETRY_LATER;
  static readonly ERROR_MAIN_THREAD = GCM_CLIENT_ERRORS.MAIN_THREAD;
  static readonly ERROR_MISSING_INSTANCEID_SERVICE = GCM_CLIENT_ERRORS.MISSING_INSTANCEID_SERVICE;
  static readonly INSTANCE_ID_SCOPE = 'GCM';

  private constructor(private readonly options: ClientOptions) {}

  static getInstance(options: ClientOptions): InstanceID {
    return new InstanceID(options);
  }

  private get session() {
    return sessionFor(this.options);
  }

  async getId(): Promise<string> {
    return (await this.session.keyFile()).instanceId;
  }

  /** Milliseconds since the epoch when the id was made. */
  async getCreationTime(): Promise<number> {
    return (await this.session.keyFile()).instanceCreatedAt;
  }

  /**
   * The token for this entity and scope: the same one on every call until deleted. An
   * authorized entity that is a VAPID public key restricts the token to that app server
   * (RFC 8292), as `options.vapidPublicKey` does; any other entity makes a bearer token.
   */
  getToken(authorizedEntity: string, scope: string, options: TokenOptions = {}): Promise<string> {
    return gcmCall(async () => {
      const senderIds = authorizedEntity.split(',');
      const vapidPublicKey = senderRestriction(senderIds, options.vapidPublicKey);
      const registration = await this.session.register({
        instance: instanceName(authorizedEntity, scope),
        senderIds,
        account: options.account,
        vapidPublicKey,
      });
      return registration.token;
    }, 'TIMEOUT');
  }

  deleteToken(authorizedEntity: string, scope: string): Promise<void> {
    return gcmCall(async () => {
      await this.session.unregister(instanceName(authorizedEntity, scope));
    }, 'TIMEOUT');
  }

  /** Deletes every token of the app and makes a new id. */
  deleteInstanceID(): Promise<void> {
    return gcmCall(() => this.session.resetInstance(), 'TIMEOUT');
  }
}
