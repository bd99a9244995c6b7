import type { Urgency } from '@fosspush/core';
import type { MessageFields } from '../outgoing.js';

/** node-gcm's `Message` options that mean something on Web Push and email. */
export interface MessageOptions {
  /** String values only: the app reads them as GCM `data`. */
  data?: Record<string, string>;
  /** GCM-style display fields (`title`, `body`, `icon`...), string values. */
  notification?: Record<string, string>;
  /**
   * Messages with the same key replace each other while undelivered: RFC 8030 `Topic`.
   * A key longer than 32 characters or with characters outside base64url is hashed to fit.
   */
  collapseKey?: string;
  /**
   * `high` or `normal` (GCM), or an RFC 8030 urgency (`very-low`, `low`).
   * @default 'normal'
   */
  priority?: 'high' | 'normal' | Urgency | 5 | 10;
  /**
   * Seconds the push service keeps an undelivered message: RFC 8030 `TTL`.
   * @default 2419200 (four weeks, GCM's default)
   */
  timeToLive?: number;
  /** Validate, encrypt and build each request, but send nothing. */
  dryRun?: boolean;
  /** Accepted for node-gcm compatibility; Web Push has no equivalent, so they have no effect. */
  contentAvailable?: boolean;
  mutableContent?: boolean;
  delayWhileIdle?: boolean;
  restrictedPackageName?: string;
}

/**
 * A message in node-gcm's shape.
 *
 * @example
 * const message = new Message({ data: { kind: 'mail' }, collapseKey: 'inbox', timeToLive: 3600 });
 * message.addData('count', '3');
 */
export class Message {
  readonly options: MessageOptions;

  constructor(options: MessageOptions = {}) {
    this.options = {
      ...options,
      ...(options.data ? { data: { ...options.data } } : {}),
      ...(options.notification ? { notification: { ...options.notification } } : {}),
    };
  }

  addData(key: string, value: string): void;
  addData(data: Record<string, string>): void;
  addData(keyOrData: string | Record<string, string>, value?: string): void {
    this.options.data = { ...this.options.data, ...(typeof keyOrData === 'string' ? { [keyOrData]: value as string } : keyOrData) };
  }

  addNotification(key: string, value: string): void;
  addNotification(notification: Record<string, string>): void;
  addNotification(keyOrFields: string | Record<string, string>, value?: string): void {
    this.options.notification = {
      ...this.options.notification,
      ...(typeof keyOrFields === 'string' ? { [keyOrFields]: value as string } : keyOrFields),
    };
  }

  /** The fields the sender reads; `dryRun` here is overridden by a sender-level dry run. */
  toFields(): MessageFields {
    const { data, notification, collapseKey, priority, timeToLive, dryRun } = this.options;
    return { data, notification, collapseKey, priority, timeToLive, dryRun };
  }
}
