import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPushMessage, isPending, type Registration, type StoredMessage, toFosspushError } from '@fosspush/core';
import { authorizePush, type HeaderBag, parsePushRequest } from '@fosspush/webpush/service';
import type { ServerContext } from '../context.js';
import { readBody } from '../http/body.js';

/** What a 201 to a push says: where the message lives and the TTL the service honours. */
export interface PushCreated {
  location: string;
  ttlSeconds: number;
}

/**
 * `POST /p/<pushId>` (RFC 8030 section 5) on Node's HTTP server. The raw fast path
 * (`http/raw-push/`) serves the same request through the same two functions below.
 */
export async function handlePush(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, pushId: string): Promise<void> {
  admitPush(ctx, pushId);
  const body = await readBody(req, { maxBytes: ctx.limits.maxPayloadBytes, timeoutMs: ctx.limits.bodyTimeoutMs });
  const accepting = acceptPush(ctx, pushId, req.headers, body);
  const accepted = isPending(accepting) ? await accepting : accepting;
  // An explicit empty length: without it Node frames the empty body as chunked, a terminator
  // chunk the app server's client has to parse on every push.
  // As a flat list, which Node writes without validating each name and value again: they are
  // ours: the id is base64url, the base URL the operator's or the listen address.
  res.writeHead(201, ['location', accepted.location, 'ttl', String(accepted.ttlSeconds), 'content-length', '0']).end();
}

/** The per-subscription rate limit, taken before the body is read; a refusal is counted. */
export function admitPush(ctx: ServerContext, pushId: string): void {
  try {
    ctx.perSubscription?.take(pushId);
  } catch (error) {
    if (toFosspushError(error).code === 'RATE_LIMITED') ctx.metrics.rateLimited.inc({ scope: 'subscription' });
    throw error;
  }
}

/**
 * A push whose body has been read, free of any transport: validate, store, then announce.
 * The answer is given only once the store has the message, so an accepted message survives a
 * crash; the broker announcement is best effort because a device that misses it replays from
 * the store. Throws (or rejects with) the FosspushError the refusal is answered with.
 *
 * With a memory store and broker nothing here waits: the message is stored, counted and on its
 * device's stream within this call, and no promise is made.
 */
export function acceptPush(ctx: ServerContext, pushId: string, headers: HeaderBag, body: Uint8Array): PushCreated | Promise<PushCreated> {
  const target = ctx.subscriptions.pushTarget(pushId);
  if (isPending(target)) return target.then((registration) => authorizeThenStore(ctx, registration, headers, body));
  return authorizeThenStore(ctx, target, headers, body);
}

function authorizeThenStore(ctx: ServerContext, registration: Registration, headers: HeaderBag, body: Uint8Array): PushCreated | Promise<PushCreated> {
  const vapidPublicKey = registration.data['vapid'];
  if (vapidPublicKey === undefined) return store(ctx, registration, headers, body);
  const audience = new URL(ctx.baseUrl()).origin;
  return authorizePush(headers, { vapidPublicKey, audience }, ctx.runtime).then(() => store(ctx, registration, headers, body));
}

function store(ctx: ServerContext, registration: Registration, headers: HeaderBag, body: Uint8Array): PushCreated | Promise<PushCreated> {
  const push = parsePushRequest({ headers, body }, ctx.limits);
  const message = createPushMessage(push, ctx.runtime);
  const enqueued = ctx.subscriptions.enqueue(registration, message);
  if (isPending(enqueued)) return enqueued.then((result) => accepted(ctx, result.message));
  return accepted(ctx, enqueued.message);
}

function accepted(ctx: ServerContext, stored: StoredMessage): PushCreated {
  ctx.metrics.countAccepted();
  ctx.announce(stored.owner, { type: 'message', message: stored });
  return { location: `${ctx.baseUrl()}/m/${stored.id}`, ttlSeconds: stored.ttlSeconds };
}
