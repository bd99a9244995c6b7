import type { IncomingMessage } from 'node:http';
import { FosspushError } from '@fosspush/core';
import { type DeviceStreamTarget, readStreamRequest } from '@fosspush/webpush/service';
import type { Subscriptions } from '../subscriptions.js';

/**
 * The one check before a device stream opens, on either wire (`GET /set/<id>/events`, the
 * upgrade of `/set/<id>/ws`): the set exists (else NOT_FOUND, 404), then the request reads
 * (else INVALID_REQUEST, 400: a malformed cursor or heartbeat). One store read and one parse,
 * both before the transport writes a byte; the transport gets what was read.
 *
 * @example
 * const stream = await openStreamTarget(subscriptions, req, route.setId, 'ws');
 * transports.websocket.handleUpgrade(req, socket, head, stream);
 */
export async function openStreamTarget(
  subscriptions: Pick<Subscriptions, 'setExists'>,
  req: Pick<IncomingMessage, 'url' | 'headers'>,
  setId: string,
  wire: 'ws' | 'events',
): Promise<DeviceStreamTarget> {
  if (!(await subscriptions.setExists(setId))) throw new FosspushError('NOT_FOUND', 'no such subscription set');
  return { setSecret: setId, request: readStreamRequest(req, wire) };
}
