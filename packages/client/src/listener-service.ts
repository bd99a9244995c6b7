import type { ReceivedMessage } from './app-session.js';

/**
 * Mirrors `com.google.android.gms.gcm.GcmListenerService`: extend it, override what you need,
 * attach it with `gcm.setListener(service)`. A message is acknowledged to the daemon once
 * `onMessageReceived` returns (or its promise settles), so work done there is never lost to a
 * crash: the message would come again.
 */
export abstract class GcmListenerService {
  /**
   * @param from the sender id (the first one the app registered with)
   * @param data the message's key/value data
   * @param message everything else: notification fields, raw bytes, timing, collapse key
   */
  onMessageReceived(_from: string, _data: Record<string, string>, _message: ReceivedMessage): void | Promise<void> {}

  /** The daemon dropped messages this app never read (too many were waiting). */
  onDeletedMessages(): void | Promise<void> {}

  /** An upstream message was sent. No fosspush channel carries upstream messages yet. */
  onMessageSent(_msgId: string): void {}

  /** An upstream message failed. No fosspush channel carries upstream messages yet. */
  onSendError(_msgId: string, _error: string): void {}
}
