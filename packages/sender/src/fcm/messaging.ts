import { FosspushError, resolveRuntime, toFosspushError } from '@fosspush/core';
import { createSendEngine, type SendEngine, type SendOutcome } from '../engine.js';
import { createOutgoingMessage } from '../outgoing.js';
import { mapBounded, mapBoundedInOrder } from '../pool.js';
import type { Recipient } from '../recipient.js';
import type { SenderOptions } from '../sender-options.js';
import { createTransports } from '../transports.js';
import { type MessagingError, toMessagingError } from './errors.js';
import { multicastId } from '../gcm/response.js';
import { sendToTopicMembers, topicTarget } from '../topics/fanout.js';
import { createTopicRegistry } from '../topics/registry.js';
import { type BaseMessage, fcmMessageFields, type Message, type MulticastMessage, type TokenMessage } from './message.js';
import { type MessagingTopicManagementResponse, manageTopic } from './topic-management.js';

/** firebase-admin's `SendResponse`. */
export interface SendResponse {
  success: boolean;
  messageId?: string;
  error?: MessagingError;
}

/** firebase-admin's `BatchResponse`: `responses` are in the order of the messages or tokens. */
export interface BatchResponse {
  responses: SendResponse[];
  successCount: number;
  failureCount: number;
}

/** A multicast message whose tokens arrive as a stream. */
export interface StreamMessage extends BaseMessage {
  tokens: Iterable<Recipient> | AsyncIterable<Recipient>;
}

export interface StreamResponse {
  index: number;
  token: Recipient;
  response: SendResponse;
}

/**
 * The messaging client in firebase-admin's shape.
 *
 * @example
 * const messaging = getMessaging({ vapid: { keys, subject: 'mailto:ops@example.org' } });
 * const id = await messaging.send({ token, data: { hello: 'world' } });
 * const batch = await messaging.sendEachForMulticast({ tokens, data: { hello: 'world' } });
 */
export interface Messaging {
  /**
   * Resolves with the message id, or rejects with a `MessagingError` (`error.code` is
   * `messaging/*`). A topic or condition message goes to every subscribed token and resolves
   * once each has been tried, as FCM accepts a topic message whatever its members' fate.
   */
  send(message: Message, dryRun?: boolean): Promise<string>;
  sendEach(messages: readonly TokenMessage[], dryRun?: boolean): Promise<BatchResponse>;
  sendEachForMulticast(message: MulticastMessage, dryRun?: boolean): Promise<BatchResponse>;
  /** Streams tokens through at most `concurrency` sends at once; yields as they finish. */
  sendEachForMulticastStream(message: StreamMessage, dryRun?: boolean): AsyncGenerator<StreamResponse, void, undefined>;
  /** Subscribes tokens (one, or up to 1000) to a topic, in the `topics` store. */
  subscribeToTopic(registrationTokens: Recipient | Recipient[], topic: string): Promise<MessagingTopicManagementResponse>;
  unsubscribeFromTopic(registrationTokens: Recipient | Recipient[], topic: string): Promise<MessagingTopicManagementResponse>;
  /** Closes pooled HTTP and SMTP connections and the topic store. */
  close(): Promise<void>;
}

function toSendResponse(outcome: SendOutcome): SendResponse {
  return outcome.ok ? { success: true, messageId: outcome.messageId } : { success: false, error: toMessagingError(outcome.error) };
}

function toBatchResponse(outcomes: readonly SendOutcome[]): BatchResponse {
  const responses = outcomes.map(toSendResponse);
  const successCount = responses.filter((response) => response.success).length;
  return { responses, successCount, failureCount: responses.length - successCount };
}

/** Reads a message once; a message that cannot be sent fails its tokens without a send. */
function deliverer(engine: SendEngine, message: BaseMessage, dryRun: boolean): (token: Recipient) => Promise<SendOutcome> {
  let outgoing: ReturnType<typeof createOutgoingMessage>;
  try {
    outgoing = createOutgoingMessage(fcmMessageFields(message, dryRun));
  } catch (error) {
    const refusal: SendOutcome = { ok: false, error: toFosspushError(error) };
    return async () => refusal;
  }
  return (token) => engine.deliver(outgoing, token);
}

function checkTokens(tokens: unknown): readonly Recipient[] {
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw toMessagingError(new FosspushError('INVALID_MESSAGE', 'tokens must be a non-empty array', { details: { field: 'tokens' } }));
  }
  return tokens;
}

/**
 * A firebase-admin-shaped messaging client. Where firebase-admin takes an `App`, this takes
 * the sender options (VAPID keys, the email route, concurrency, retries).
 */
export function getMessaging(options: SenderOptions = {}): Messaging {
  const engine = createSendEngine({ ...options, transports: createTransports(options) });
  const topics = createTopicRegistry(options.topics, options.runtime);
  const random = resolveRuntime(options.runtime).random;
  return {
    async send(message, dryRun = false) {
      const target = typeof message === 'object' && message !== null ? topicTarget(message) : undefined;
      if (target) {
        try {
          await sendToTopicMembers(topics, target, engine.concurrency, deliverer(engine, message, dryRun));
        } catch (error) {
          throw toMessagingError(toFosspushError(error));
        }
        return `projects/fosspush/messages/${multicastId(random)}`;
      }
      const outcome = await deliverer(engine, message, dryRun)((message as TokenMessage).token);
      if (!outcome.ok) throw toMessagingError(outcome.error);
      return outcome.messageId;
    },
    async sendEach(messages, dryRun = false) {
      if (!Array.isArray(messages)) {
        throw toMessagingError(new FosspushError('INVALID_MESSAGE', 'messages must be an array', { details: { field: 'messages' } }));
      }
      const outcomes = await mapBoundedInOrder(messages, engine.concurrency, (message) => deliverer(engine, message, dryRun)(message.token));
      return toBatchResponse(outcomes);
    },
    async sendEachForMulticast(message, dryRun = false) {
      const tokens = checkTokens(message?.tokens);
      return toBatchResponse(await mapBoundedInOrder(tokens, engine.concurrency, deliverer(engine, message, dryRun)));
    },
    async *sendEachForMulticastStream(message, dryRun = false) {
      for await (const settled of mapBounded(message.tokens, engine.concurrency, deliverer(engine, message, dryRun))) {
        yield { index: settled.index, token: settled.item, response: toSendResponse(settled.value) };
      }
    },
    subscribeToTopic: (tokens, topic) => manageTopic(topics.subscribe, tokens, topic),
    unsubscribeFromTopic: (tokens, topic) => manageTopic(topics.unsubscribe, tokens, topic),
    async close() {
      await Promise.all([engine.close(), topics.close()]);
    },
  };
}
