/**
 * @module @fosspush/client
 *
 * The fosspush SDK for apps: the GCM API (`GoogleCloudMessaging`, `InstanceID`,
 * `GcmListenerService`, `GcmPubSub`) and the FCM style (`getMessaging`), over the local
 * fosspushd. The SDK makes and keeps each registration's RFC 8291 keys in the app's own key
 * file and decrypts here: the daemon only ever routes ciphertext.
 *
 * @example
 * import { getMessaging } from '@fosspush/client';
 * const messaging = getMessaging({ appId: 'org.example.chat' });
 * const token = await messaging.getToken(); // hand it to your app server
 * messaging.onMessage(({ data }) => console.log(data));
 */
// The error class and guard, so an app checks `error.code` with this package alone.
export { FosspushError, type FosspushErrorCode, isFosspushError } from '@fosspush/core';
export { AppSession, CLIENT_DEFAULTS, type ClientOptions, type InstanceFilter, type MessageListener, type ReceivedMessage, type RegisterRequest } from './app-session.js';
export { GoogleCloudMessaging, type GcmIntent } from './gcm.js';
export { GCM_CLIENT_ERRORS, type GcmClientError, toGcmClientError } from './gcm-errors.js';
export { InstanceID, type TokenOptions } from './instance-id.js';
export { isVapidPublicKey } from './sender-restriction.js';
export { GcmListenerService } from './listener-service.js';
export { GcmPubSub, type PubSubOptions, subscribeToTopic, type TopicRoute, unsubscribeFromTopic } from './pubsub.js';
export { deleteToken, type GetTokenOptions, getMessaging, getToken, type Messaging, type MessagePayload, onMessage, type Unsubscribe } from './messaging.js';
export { type AppKeyFile, defaultKeyFile, type StoredRegistration } from './key-store.js';
export { decodePayload, type DecodedPayload } from './payload.js';
