import { FosspushError, resolveRuntime, type Runtime, toFosspushError } from '@fosspush/core';
import { createSendEngine, type SendEngine, type SendOutcome } from '../engine.js';
import { checkRetryOptions, type RetryOptions } from '../options.js';
import { createOutgoingMessage, type OutgoingMessage } from '../outgoing.js';
import { mapBounded, mapBoundedInOrder } from '../pool.js';
import type { Recipient } from '../recipient.js';
import type { SenderOptions } from '../sender-options.js';
import { createTransports } from '../transports.js';
import type { Message } from './message.js';
import { sendToTopicMembers, topicTarget } from '../topics/fanout.js';
import { createTopicRegistry, type TopicRegistry } from '../topics/registry.js';
import { type GcmRecipient, type GcmTopicRecipient, recipientList } from './recipients.js';
import { type GcmResponse, type GcmResult, type GcmTopicResponse, multicastId, toGcmResponse, toGcmResult } from './response.js';

/** node-gcm's per-call options: `backoff` is the first backoff ceiling in milliseconds. */
export interface SendOptions {
  retries?: number;
  backoff?: number;
}

export type SendCallback<Response = GcmResponse> = (error: FosspushError | null, response?: Response) => void;

/** One streamed result: `index` is the token's position in the source. */
export interface GcmStreamResult {
  index: number;
  token: Recipient;
  result: GcmResult;
}

function retryOptions(options: SendOptions | number | undefined): RetryOptions {
  const retry = (typeof options === 'number' ? { retries: options } : { retries: options?.retries, backoffMs: options?.backoff }) as RetryOptions;
  checkRetryOptions(retry);
  return retry;
}

/**
 * A sender in node-gcm's shape, for every fosspush token and every Web Push endpoint.
 *
 * @example
 * const sender = new Sender({ vapid: { keys, subject: 'mailto:ops@example.org' } });
 * const response = await sender.send(new Message({ data: { hello: 'world' } }), { registrationTokens: tokens });
 * response.results.forEach((result, i) => { if ('error' in result && result.error === 'NotRegistered') forget(tokens[i]); });
 */
export class Sender {
  readonly #engine: SendEngine;
  readonly #runtime: Runtime;
  readonly #topics: TopicRegistry;

  constructor(options: SenderOptions = {}) {
    this.#engine = createSendEngine({ ...options, transports: createTransports(options) });
    this.#runtime = resolveRuntime(options.runtime);
    this.#topics = createTopicRegistry(options.topics, options.runtime);
  }

  /**
   * Sends to every token with retries, `concurrency` at a time, and resolves with GCM's
   * response, results in token order. With a callback (node-gcm style) it returns nothing and
   * calls back with `(error, response)`. It rejects only for a call it cannot read (a bad
   * recipient shape); a message or token problem is a per-token `error` instead.
   * A `{ topic }`, `{ condition }` or `{ to: '/topics/…' }` recipient goes to every subscribed
   * token (see `subscribeToTopic` on `getMessaging`) and answers GCM's `{ message_id }`.
   */
  send(message: Message, recipient: GcmTopicRecipient, options?: SendOptions | number): Promise<GcmTopicResponse>;
  send(message: Message, recipient: GcmTopicRecipient, callback: SendCallback<GcmTopicResponse>): void;
  send(message: Message, recipient: GcmTopicRecipient, options: SendOptions | number | undefined, callback: SendCallback<GcmTopicResponse>): void;
  send(message: Message, recipient: GcmRecipient, options?: SendOptions | number): Promise<GcmResponse>;
  send(message: Message, recipient: GcmRecipient, callback: SendCallback): void;
  send(message: Message, recipient: GcmRecipient, options: SendOptions | number | undefined, callback: SendCallback): void;
  send(
    message: Message,
    recipient: GcmRecipient | GcmTopicRecipient,
    optionsOrCallback?: SendOptions | number | SendCallback<never>,
    callback?: SendCallback<never>,
  ): Promise<GcmResponse | GcmTopicResponse> | undefined {
    const done = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
    const response = this.#sendAll(message, recipient, options);
    if (!done) return response;
    response.then(
      (value) => (done as SendCallback<GcmResponse | GcmTopicResponse>)(null, value),
      (error: unknown) => done(toFosspushError(error)),
    );
    return undefined;
  }

  /** `send` with no retries, as in node-gcm. */
  sendNoRetry(message: Message, recipient: GcmTopicRecipient): Promise<GcmTopicResponse>;
  sendNoRetry(message: Message, recipient: GcmTopicRecipient, callback: SendCallback<GcmTopicResponse>): void;
  sendNoRetry(message: Message, recipient: GcmRecipient): Promise<GcmResponse>;
  sendNoRetry(message: Message, recipient: GcmRecipient, callback: SendCallback): void;
  sendNoRetry(
    message: Message,
    recipient: GcmRecipient | GcmTopicRecipient,
    callback?: SendCallback<never>,
  ): Promise<GcmResponse | GcmTopicResponse> | undefined {
    if (!callback) return this.send(message, recipient as GcmRecipient, { retries: 0 });
    this.send(message, recipient as GcmRecipient, { retries: 0 }, callback as SendCallback);
    return undefined;
  }

  /**
   * Sends to a stream of tokens (an array, a generator, a database cursor) and yields each
   * result as it finishes, not in token order. At most `concurrency` tokens are taken from the
   * source and not yet yielded, so 100,000 tokens use no more memory than 50.
   *
   * @example
   * for await (const { token, result } of sender.sendStream(message, tokensFromDatabase())) {
   *   if ('error' in result && result.error === 'NotRegistered') await forget(token);
   * }
   */
  async *sendStream(
    message: Message,
    tokens: Iterable<Recipient> | AsyncIterable<Recipient>,
    options?: SendOptions,
  ): AsyncGenerator<GcmStreamResult, void, undefined> {
    const deliver = this.#deliverer(message, retryOptions(options));
    for await (const settled of mapBounded(tokens, this.#engine.concurrency, deliver)) {
      yield { index: settled.index, token: settled.item, result: toGcmResult(settled.value) };
    }
  }

  /** Closes pooled HTTP and SMTP connections and the topic store. */
  async close(): Promise<void> {
    await Promise.all([this.#engine.close(), this.#topics.close()]);
  }

  async #sendAll(message: Message, recipient: GcmRecipient | GcmTopicRecipient, options: SendOptions | number | undefined): Promise<GcmResponse | GcmTopicResponse> {
    const target = typeof recipient === 'object' && recipient !== null ? topicTarget(recipient) : undefined;
    if (target) {
      await sendToTopicMembers(this.#topics, target, this.#engine.concurrency, this.#deliverer(message, retryOptions(options)));
      return { message_id: multicastId(this.#runtime.random) };
    }
    const tokens = recipientList(recipient as GcmRecipient);
    const outcomes = await mapBoundedInOrder(tokens, this.#engine.concurrency, this.#deliverer(message, retryOptions(options)));
    return toGcmResponse(outcomes, this.#runtime.random);
  }

  /** Reads the message once; a message that cannot be sent fails every token without a send. */
  #deliverer(message: Message, retry: RetryOptions): (token: Recipient) => Promise<SendOutcome> {
    if (typeof message?.toFields !== 'function') {
      throw new FosspushError('INVALID_MESSAGE', 'message must be a Message (new Message({ data }))', { details: { field: 'message' } });
    }
    let outgoing: OutgoingMessage | undefined;
    let refusal: SendOutcome | undefined;
    try {
      outgoing = createOutgoingMessage(message.toFields());
    } catch (error) {
      refusal = { ok: false, error: toFosspushError(error) };
    }
    return async (token) => (outgoing ? this.#engine.deliver(outgoing, token, retry) : (refusal as SendOutcome));
  }
}
