import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPushMessage, FosspushError, isFosspushError, type Registration, type StoredMessage, type Urgency } from '@fosspush/core';
import type { ServerContext } from '../context.js';
import { readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';

/**
 * The Matrix Push Gateway API (`POST /_matrix/push/v1/notify`) as UnifiedPush push servers
 * serve it: a homeserver POSTs a notification for one or more pushers, and each pusher's
 * `pushkey` is an endpoint of ours. The whole request body, unchanged and unencrypted (the
 * homeserver does not encrypt), becomes the push message for each endpoint; the connector of
 * a Matrix client reads it as JSON. `GET` answers `{"unifiedpush":{"gateway":"matrix"}}` so that
 * clients can find the gateway.
 *
 * A pushkey comes back in `rejected` (and the homeserver deletes that pusher) when it is not a
 * push resource of this server, is unknown or unsubscribed, or is VAPID-restricted: a
 * homeserver cannot sign with the app server's VAPID key, and forwarding for it would let
 * anyone bypass the restriction the app asked for.
 */
export async function handleMatrixNotify(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') return sendJson(res, 200, MATRIX_GATEWAY_DISCOVERY);
  const body = await readBody(req, { maxBytes: MAX_NOTIFY_BYTES, timeoutMs: ctx.limits.bodyTimeoutMs });
  const notification = parseNotification(body);
  if (body.length > ctx.limits.maxPayloadBytes) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `the notification is ${body.length} bytes; a push message holds at most ${ctx.limits.maxPayloadBytes}`, {
      details: { field: 'body', limit: ctx.limits.maxPayloadBytes },
    });
  }
  const base = ctx.baseUrl();
  const urgency: Urgency = notification.prio === 'high' ? 'high' : 'normal';
  const rejected: string[] = [];
  for (const pushkey of new Set(notification.pushkeys)) {
    const registration = await targetOf(ctx, pushkey, base);
    if (!registration) {
      rejected.push(pushkey);
      continue;
    }
    ctx.perSubscription?.take(registration.id);
    const message = createPushMessage({ payload: body, ttlSeconds: Math.min(MATRIX_TTL_SECONDS, ctx.limits.maxTtlSeconds), urgency }, ctx.runtime);
    let stored: StoredMessage;
    try {
      ({ message: stored } = await ctx.subscriptions.enqueue(registration, message));
    } catch (error) {
      if (!isFosspushError(error, 'GONE')) throw error;
      rejected.push(pushkey);
      continue;
    }
    ctx.metrics.countAccepted();
    await ctx.broker.publish(stored.owner, { type: 'message', message: stored }).catch((error: unknown) => {
      ctx.logger.warn('announce_failed', { error, messageId: stored.id });
    });
  }
  if (rejected.length > 0) ctx.logger.info('matrix_pushkeys_rejected', { count: rejected.length });
  sendJson(res, 200, { rejected });
}

export const MATRIX_GATEWAY_DISCOVERY = { unifiedpush: { gateway: 'matrix' } } as const;

/** A Matrix notification is about a chat message: after a day it is noise. */
const MATRIX_TTL_SECONDS = 86_400;
/** Read this much before judging: a bigger body cannot be a notification we forward anyway. */
const MAX_NOTIFY_BYTES = 65_536;
const PUSH_ID = /^\/p\/([A-Za-z0-9_-]{1,64})$/;

interface MatrixNotification {
  prio?: string;
  pushkeys: string[];
}

/** The parts of the body we act on; the rest is forwarded as it came. */
function parseNotification(body: Uint8Array): MatrixNotification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (cause) {
    throw new FosspushError('INVALID_REQUEST', 'the body is not JSON', { cause, details: { field: 'body' } });
  }
  const notification = (parsed as { notification?: unknown } | null)?.notification;
  const devices = (notification as { devices?: unknown } | undefined)?.devices;
  if (typeof notification !== 'object' || notification === null || !Array.isArray(devices)) {
    throw new FosspushError('INVALID_REQUEST', 'a Matrix notification is {"notification": {"devices": [...]}}', { details: { field: 'notification.devices' } });
  }
  const pushkeys = devices.map((device: unknown, i) => {
    const pushkey = (device as { pushkey?: unknown } | null)?.pushkey;
    if (typeof pushkey !== 'string') throw new FosspushError('INVALID_REQUEST', `devices[${i}].pushkey must be a string`, { details: { field: `devices[${i}].pushkey` } });
    return pushkey;
  });
  const prio = (notification as { prio?: unknown }).prio;
  return typeof prio === 'string' ? { prio, pushkeys } : { pushkeys };
}

/** The subscription a pushkey names, when it is one of ours that a homeserver may push to. */
async function targetOf(ctx: ServerContext, pushkey: string, base: string): Promise<Registration | undefined> {
  if (!pushkey.startsWith(`${base}/p/`)) return undefined;
  const pushId = PUSH_ID.exec(pushkey.slice(base.length))?.[1];
  if (pushId === undefined) return undefined;
  try {
    const registration = await ctx.subscriptions.pushTarget(pushId);
    return registration.data['vapid'] === undefined ? registration : undefined;
  } catch (error) {
    if (isFosspushError(error, 'NOT_FOUND') || isFosspushError(error, 'GONE')) return undefined;
    throw error;
  }
}
