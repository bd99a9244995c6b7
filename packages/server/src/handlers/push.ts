import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPushMessage } from '@fosspush/core';
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
  const registration = await ctx.subscriptions.pushTarget(pushId);
  const base = ctx.baseUrl();
  const vapidPublicKey = registration.data['vapid'];
  if (vapidPublicKey !== undefined) {
    await authorizePush(req.headers, { vapidPublicKey, audience: new URL(base).origin }, ctx.runtime);
  }
  const push = parsePushRequest({ headers: req.headers, body }, ctx.limits);
  const message = createPushMessage(push, ctx.runtime);
  const { message: stored } = await ctx.subscriptions.enqueue(registration, message);
  ctx.metrics.countAccepted();
  // An explicit empty length: without it Node frames the empty body as chunked, a terminator
  // chunk the app server's client has to parse on every push.
  res.writeHead(201, { location: `${base}/m/${stored.id}`, ttl: String(stored.ttlSeconds), 'content-length': '0' }).end();
  try {
    await ctx.broker.publish(stored.owner, { type: 'message', message: stored });
  } catch (error) {
    ctx.logger.warn('announce_failed', { error, messageId: stored.id });
  }
}
