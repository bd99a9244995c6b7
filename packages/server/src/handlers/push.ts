import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPushMessage, isPending } from '@fosspush/core';
import { authorizePush, parsePushRequest } from '@fosspush/webpush/service';
import type { ServerContext } from '../context.js';
import { readBody } from '../http/body.js';

/**
 * `POST /p/<pushId>` (RFC 8030 section 5): validate, store, then announce. The 201 is sent
 * only once the store has the message, so an accepted message survives a crash; the broker
 * announcement is best effort because a device that misses it replays from the store.
 */
export async function handlePush(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, pushId: string): Promise<void> {
  ctx.perSubscription?.take(pushId);
  const body = await readBody(req, { maxBytes: ctx.limits.maxPayloadBytes, timeoutMs: ctx.limits.bodyTimeoutMs });
  const target = ctx.subscriptions.pushTarget(pushId);
  const registration = isPending(target) ? await target : target;
  const base = ctx.baseUrl();
  const vapidPublicKey = registration.data['vapid'];
  if (vapidPublicKey !== undefined) {
    await authorizePush(req.headers, { vapidPublicKey, audience: new URL(base).origin }, ctx.runtime);
  }
  const push = parsePushRequest({ headers: req.headers, body }, ctx.limits);
  const message = createPushMessage(push, ctx.runtime);
  // With a memory store and broker, nothing from here on waits: the message is stored,
  // answered and on its device's stream within this call.
  const enqueued = ctx.subscriptions.enqueue(registration, message);
  const { message: stored } = isPending(enqueued) ? await enqueued : enqueued;
  ctx.metrics.countAccepted();
  // An explicit empty length: without it Node frames the empty body as chunked, a terminator
  // chunk the app server's client has to parse on every push.
  // As a flat list, which Node writes without validating each name and value again: they are
  // ours: the id is base64url, the base URL the operator's or the listen address.
  res.writeHead(201, ['location', `${base}/m/${stored.id}`, 'ttl', String(stored.ttlSeconds), 'content-length', '0']).end();
  ctx.announce(stored.owner, { type: 'message', message: stored });
}
