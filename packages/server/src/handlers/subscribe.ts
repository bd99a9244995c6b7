import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatLink, MAX_SUBSCRIBE_BODY_BYTES, PUSH_LINK_RELATIONS, parseSubscribeRequest } from '@fosspush/webpush/service';
import type { ServerContext } from '../context.js';
import { readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { setIdFromUri } from '../http/routes.js';

/**
 * `POST /subscribe` (RFC 8030 section 4): 201 with the subscription (Location), its push
 * resource and its set (Link). A set link in the request adds to that set (section 4.1); a
 * `{"vapid": key}` body restricts the subscription (RFC 8292 section 3.1).
 */
export async function handleSubscribe(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, { maxBytes: MAX_SUBSCRIBE_BODY_BYTES, timeoutMs: ctx.limits.bodyTimeoutMs });
  const request = await parseSubscribeRequest({ headers: req.headers, body });
  const base = ctx.baseUrl();
  const { setId, pushId } = await ctx.subscriptions.create({
    setId: request.setUri === undefined ? undefined : setIdFromUri(request.setUri, base),
    vapidPublicKey: request.vapidPublicKey,
    address: ctx.clientAddress(req),
  });
  const urls = { subscription: `${base}/set/${setId}/s/${pushId}`, push: `${base}/p/${pushId}`, set: `${base}/set/${setId}` };
  ctx.logger.debug('subscribed', { restricted: request.vapidPublicKey !== undefined, newSet: request.setUri === undefined });
  sendJson(res, 201, urls, {
    location: urls.subscription,
    link: [formatLink(urls.push, PUSH_LINK_RELATIONS.push), formatLink(urls.set, PUSH_LINK_RELATIONS.set)],
    'cache-control': 'no-store',
  });
}
