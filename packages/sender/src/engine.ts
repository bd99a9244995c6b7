import {
  delay,
  FosspushError,
  fullJitterDelayMs,
  isTransient,
  type PushToken,
  randomFraction,
  resolveRuntime,
  type Runtime,
  type TokenChannel,
  toFosspushError,
  withDefaults,
} from '@fosspush/core';
import { checkRetryOptions, ENGINE_DEFAULTS, type EngineOptions, type RetryOptions } from './options.js';
import type { OutgoingMessage } from './outgoing.js';
import { type Recipient, resolveRecipient } from './recipient.js';
import type { Transport } from './transport/transport.js';

/** The result of one message to one token, after any retries. */
export type SendOutcome = { ok: true; messageId: string } | { ok: false; error: FosspushError };

/**
 * The channel-independent half of the sender: routes a token to its channel's transport and
 * retries transient failures. It is the only layer that retries: transports (the Web Push
 * client, the SMTP transport) try once, so `retries` means what it says on every channel.
 * The node-gcm and firebase-admin shapes are thin layers on it.
 */
export interface SendEngine {
  readonly concurrency: number;
  deliver(message: OutgoingMessage, recipient: Recipient, retry?: RetryOptions): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function failure(error: unknown): SendOutcome {
  return { ok: false, error: toFosspushError(error) };
}

export function createSendEngine(options: EngineOptions & { transports: Partial<Record<TokenChannel, Transport>> }): SendEngine {
  checkRetryOptions(options);
  const settings = withDefaults(ENGINE_DEFAULTS, options);
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
    throw new FosspushError('INVALID_REQUEST', 'concurrency must be a positive integer', { details: { field: 'concurrency' } });
  }
  const runtime: Runtime = resolveRuntime(options.runtime);
  const transports = options.transports;

  async function attempt(transport: Transport, token: PushToken, message: OutgoingMessage, retry: Required<RetryOptions>): Promise<SendOutcome> {
    for (let retryCount = 0; ; retryCount++) {
      try {
        const receipt = await transport.send(token, message);
        return { ok: true, messageId: receipt.messageId };
      } catch (thrown) {
        const error = toFosspushError(thrown);
        if (!isTransient(error.code) || retryCount >= retry.retries) return { ok: false, error };
        const { retryAfterMs } = error.details;
        const asked = typeof retryAfterMs === 'number' ? retryAfterMs : 0;
        if (asked > retry.maxRetryAfterMs) return { ok: false, error };
        const backoffMs = fullJitterDelayMs(retryCount, { initialDelayMs: retry.backoffMs, maxDelayMs: retry.maxBackoffMs }, randomFraction(runtime.random));
        await delay(Math.max(asked, backoffMs), runtime.timers).done;
      }
    }
  }

  return {
    concurrency: settings.concurrency,
    async deliver(message, recipient, retry = {}) {
      let token: PushToken;
      try {
        token = resolveRecipient(recipient);
      } catch (error) {
        return failure(error);
      }
      const transport = transports[token.channel];
      if (!transport) {
        return failure(
          new FosspushError('INVALID_REQUEST', `this sender is not set up for ${token.channel} tokens (see the ${token.channel} option)`, {
            details: { channel: token.channel },
          }),
        );
      }
      const merged = withDefaults(settings, retry);
      return attempt(transport, token, message, merged);
    },
    async close() {
      await Promise.all(Object.values(transports).map((transport) => transport?.close?.()));
    },
  };
}
