import type { IncomingMessage, ServerResponse } from 'node:http';
import { FosspushError } from '@fosspush/core';
import type { ServerContext } from '../context.js';
import { sendJson } from '../http/respond.js';

/**
 * `DELETE /m/<id>` acknowledges (RFC 8030 section 6.2): 204 whether or not the message was
 * still queued, so a device that acks twice (at-least-once delivery) needs no special case.
 * `GET /m/<id>` says whether it is still waiting for a device: the HTTP/1.1 stand-in for
 * push receipts (see docs/push-server.md).
 */
export async function handleMessage(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, messageId: string): Promise<void> {
  if (req.method === 'DELETE') {
    await ctx.hub.acknowledge(messageId);
    res.writeHead(204).end();
    return;
  }
  const message = await ctx.store.getMessage(messageId);
  if (!message) throw new FosspushError('NOT_FOUND', 'the message is not queued: it was delivered and acknowledged, or it expired');
  const ttlLeft = Math.max(0, Math.ceil((message.expiresAt - ctx.runtime.clock.now()) / 1000));
  sendJson(res, 200, { status: 'queued', urgency: message.urgency, ttl: ttlLeft }, { ttl: String(ttlLeft) });
}
