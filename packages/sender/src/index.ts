/**
 * @module @fosspush/sender
 *
 * The fosspush sender SDK for app servers, in node-gcm and firebase-admin shapes. One send
 * reaches any fosspush token (push server or email) and any RFC 8030 Web Push endpoint,
 * encrypted end to end (RFC 8291) and signed (VAPID, or OpenPGP on email). Transient failures
 * are retried with jittered exponential backoff, sends run with bounded concurrency over
 * keep-alive connections, and token streams of any length run in bounded memory.
 *
 * @example
 * import { Message, Sender } from '@fosspush/sender';
 * const sender = new Sender({ vapid: { keys, subject: 'mailto:ops@example.org' } });
 * const response = await sender.send(new Message({ data: { hello: 'world' } }), { registrationTokens: tokens });
 */
// What the sending guide (docs/sending.md) needs, so an app server installs this package alone.
export {
  type EmailIdentity,
  FosspushError,
  type FosspushErrorCode,
  generateEmailIdentity,
  generateVapidKeys,
  isFosspushError,
  type PushSubscriptionJSON,
  toPushSubscription,
  type VapidKeys,
} from '@fosspush/core';
export { Message, type MessageOptions } from './gcm/message.js';
export type { GcmRecipient, GcmTopicRecipient } from './gcm/recipients.js';
export type { GcmResponse, GcmResult, GcmTopicResponse } from './gcm/response.js';
export { Constants, MulticastResult, Result } from './gcm/constants.js';
export { type GcmStreamResult, type SendCallback, type SendOptions, Sender } from './gcm/sender.js';
export type { MessagingError } from './fcm/errors.js';
export type { AndroidNotification, ApnsConfig, FcmOptions, LightSettings, Notification, WebpushNotification } from './fcm/config.js';
export type {
  AndroidConfig,
  BaseMessage,
  ConditionMessage,
  Message as FcmMessage,
  MulticastMessage,
  TokenMessage,
  TopicMessage,
  WebpushConfig,
} from './fcm/message.js';
export type { FirebaseArrayIndexError, MessagingTopicManagementResponse } from './fcm/topic-management.js';
export { MAX_CONDITION_TOPICS, normalizeTopic } from './topics/condition.js';
export { MAX_TOPIC_MANAGEMENT_TOKENS } from './topics/registry.js';
export { TOPIC_STORE_DEFAULTS, type TopicStoreOption } from './topics/store.js';
export {
  type BatchResponse,
  getMessaging,
  type Messaging,
  type SendResponse,
  type StreamMessage,
  type StreamResponse,
} from './fcm/messaging.js';
export { ENGINE_DEFAULTS, type EngineOptions, RETRY_DEFAULTS, type RetryOptions } from './options.js';
export type { SenderOptions } from './sender-options.js';
export { DEFAULT_TTL_SECONDS, type OutgoingMessage, priorityToUrgency } from './outgoing.js';
export { collapseKeyToTopic } from './topic.js';
export type { Recipient } from './recipient.js';
export type { SendReceipt, Transport } from './transport/transport.js';
export { createWebPushTransport, type VapidOption, type WebPushRouteOptions } from './transport/webpush.js';
export { createEmailTransport, type EmailRouteOptions } from './transport/email.js';
export {
  createMemoryHandshakeStore,
  type HandshakeStore,
  MEMORY_HANDSHAKE_STORE_DEFAULTS,
  type MemoryHandshakeStoreOptions,
} from './transport/handshake-store.js';
