import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';

/** `DELETE` on a subscription URL: the push resource answers 410 from now on. */
export async function handleUnsubscribe(ctx: ServerContext, _req: IncomingMessage, res: ServerResponse, setId: string, pushId: string): Promise<void> {
  await ctx.subscriptions.remove(setId, pushId);
  await announceUnsubscribed(ctx, setId, [pushId]);
  res.writeHead(204).end();
}

/** `DELETE /set/<id>`: the device leaves for good; every subscription in the set goes. */
export async function handleDeleteSet(ctx: ServerContext, _req: IncomingMessage, res: ServerResponse, setId: string): Promise<void> {
  const removed = await ctx.subscriptions.removeSet(setId);
  await announceUnsubscribed(ctx, setId, removed);
  res.writeHead(204).end();
}

async function announceUnsubscribed(ctx: ServerContext, setId: string, pushIds: readonly string[]): Promise<void> {
  try {
    for (const registrationId of pushIds) await ctx.broker.publish(setId, { type: 'unsubscribed', registrationId });
  } catch (error) {
    ctx.logger.warn('announce_failed', { error });
  }
}
