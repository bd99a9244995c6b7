import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DeviceHub, Runtime } from '@fosspush/core';
import { createSseDeviceHandler } from '@fosspush/sse';
import type { DeviceStreamTarget } from '@fosspush/webpush/service';
import { createWebSocketDeviceServer } from '@fosspush/websocket';

export type { DeviceStreamTarget };

/**
 * The device-wire handlers the server mounts at `/set/<id>/ws` and `/set/<id>/events`. The
 * server gives each the stream request it already read (`openStreamTarget`).
 */
export interface DeviceTransports {
  websocket: {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, stream: DeviceStreamTarget): void;
    readonly connectionCount: number;
    close(): Promise<void>;
  };
  sse: {
    handle(req: IncomingMessage, res: ServerResponse, stream: DeviceStreamTarget): void;
    readonly connectionCount: number;
    close(): Promise<void>;
  };
}

export type DeviceTransportsFactory = (
  hub: DeviceHub,
  options: { heartbeatIntervalMs: number; maxHeartbeatMs: number; runtime: Runtime },
) => DeviceTransports;

/** WebSocket (@fosspush/websocket) and Server-Sent Events (@fosspush/sse). */
export const defaultDeviceTransports: DeviceTransportsFactory = (hub, options) => ({
  websocket: createWebSocketDeviceServer({ hub, ...options }),
  sse: createSseDeviceHandler({ hub, ...options }),
});
