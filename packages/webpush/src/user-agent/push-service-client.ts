import { FosspushError, resolveRuntime, type Runtime, validateMessageId, withDefaults } from '@fosspush/core';
import { errorFromResponse } from './http-errors.js';
import { findLink, formatLink, PUSH_LINK_RELATIONS } from '../service/link.js';
import { WEBPUSH_OPTIONS_CONTENT_TYPE } from '../service/subscribe-request.js';

export interface PushServiceClientOptions {
  /** The push service's base URL; `subscribe` and `m/<id>` resolve against it. */
  serverUrl: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 30_000 */
  timeoutMs?: number;
  runtime?: Partial<Runtime>;
}

export const PUSH_SERVICE_CLIENT_DEFAULTS = {
  timeoutMs: 30_000,
} satisfies Partial<PushServiceClientOptions>;

export interface PushServiceSubscribeRequest {
  /** Joins this subscription set (RFC 8030 section 4.1) instead of creating a new one. */
  setUrl?: string;
  /** RFC 8292: only pushes signed with this VAPID key (base64url P-256 point) are accepted. */
  vapidPublicKey?: string;
}

export interface PushServiceSubscription {
  /** The secret capability URL: `DELETE` on it unsubscribes. */
  subscriptionUrl: string;
  /** Where app servers post messages (`Link rel="urn:ietf:params:push"`). */
  pushResourceUrl: string;
  /** The subscription set the device streams (`Link rel="urn:ietf:params:push:set"`). */
  setUrl: string;
}

/** The user agent's side of RFC 8030's HTTP API: subscribe, unsubscribe, acknowledge. */
export interface PushServiceClient {
  readonly serverUrl: string;
  subscribe(request?: PushServiceSubscribeRequest): Promise<PushServiceSubscription>;
  /** Deletes a subscription. Already gone (404/410) counts as done. */
  unsubscribe(subscriptionUrl: string): Promise<void>;
  /** Acknowledges a message (RFC 8030 section 6.2). Already gone (404/410) counts as done. */
  ack(messageUrl: string): Promise<void>;
  /** The message resource of a delivered message: `m/<messageId>` under the server URL. */
  messageUrl(messageId: string): string;
  /**
   * Resolves once the service answers anything at all to a GET of its base URL (any status:
   * RFC 8030 defines no resource there), and rejects UNAVAILABLE or TIMEOUT when it does not.
   */
  probe(): Promise<void>;
}

/**
 * A client for a push service's subscription API, as both device channels use it.
 *
 * @example
 * const service = createPushServiceClient({ serverUrl: 'https://push.example.org/' });
 * const { pushResourceUrl, setUrl } = await service.subscribe();
 * const second = await service.subscribe({ setUrl }); // same device stream
 */
export function createPushServiceClient(options: PushServiceClientOptions): PushServiceClient {
  const { timeoutMs } = withDefaults(PUSH_SERVICE_CLIENT_DEFAULTS, options);
  const { clock } = resolveRuntime(options.runtime);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  // A base without a trailing slash would make `subscribe` replace its last path segment.
  const serverUrl = options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`;
  try {
    new URL(serverUrl);
  } catch (cause) {
    throw new FosspushError('INVALID_REQUEST', `serverUrl is not a URL: ${options.serverUrl}`, { cause });
  }

  const request = async (url: string, init: RequestInit, what: string): Promise<Response> => {
    let response: Response;
    try {
      response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      throw new FosspushError(timedOut ? 'TIMEOUT' : 'UNAVAILABLE', `${what}: ${timedOut ? 'no answer in time' : 'the push service is unreachable'}`, {
        cause,
      });
    }
    return response;
  };

  const remove = async (url: string, what: string) => {
    const response = await request(url, { method: 'DELETE' }, what);
    if (response.ok || response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return;
    }
    throw await errorFromResponse(response, what, clock.now());
  };

  return {
    serverUrl,
    async subscribe(subscribeRequest = {}) {
      const headers: { link?: string; 'content-type'?: string } = {};
      let body: string | undefined;
      if (subscribeRequest.setUrl !== undefined) {
        // The layout names the set by path; sending the path keeps a proxy's host out of it.
        headers.link = formatLink(new URL(subscribeRequest.setUrl).pathname, PUSH_LINK_RELATIONS.set);
      }
      if (subscribeRequest.vapidPublicKey !== undefined) {
        headers['content-type'] = WEBPUSH_OPTIONS_CONTENT_TYPE;
        body = JSON.stringify({ vapid: subscribeRequest.vapidPublicKey });
      }
      const url = new URL('subscribe', serverUrl).href;
      const response = await request(url, { method: 'POST', headers, body }, 'subscribe');
      if (response.status !== 201) throw await errorFromResponse(response, 'subscribe', clock.now());
      await response.body?.cancel();
      const location = response.headers.get('location');
      const link = response.headers.get('link') ?? undefined;
      const pushResource = findLink(link, PUSH_LINK_RELATIONS.push);
      const set = findLink(link, PUSH_LINK_RELATIONS.set);
      if (location === null || pushResource === undefined || set === undefined) {
        throw new FosspushError('PROTOCOL_ERROR', 'subscribe: the answer lacks a Location, push resource or subscription set link', {
          details: { location: location !== null, pushResource: pushResource !== undefined, set: set !== undefined },
        });
      }
      // Relative references resolve against the request URL (RFC 8288 section 3.2).
      const resolve = (reference: string) => {
        try {
          return new URL(reference, url).href;
        } catch (cause) {
          throw new FosspushError('PROTOCOL_ERROR', `subscribe: the answer holds a bad URL reference`, { cause });
        }
      };
      return { subscriptionUrl: resolve(location), pushResourceUrl: resolve(pushResource), setUrl: resolve(set) };
    },
    unsubscribe(subscriptionUrl) {
      return remove(subscriptionUrl, 'unsubscribe');
    },
    ack(messageUrl) {
      return remove(messageUrl, 'ack');
    },
    messageUrl(messageId) {
      return new URL(`m/${validateMessageId(messageId)}`, serverUrl).href;
    },
    async probe() {
      const response = await request(serverUrl, { method: 'GET' }, 'probe');
      await response.body?.cancel();
    },
  };
}
