import { FosspushError } from '@fosspush/core';
import type { DeviceStreamEvents, DeviceStreamTransport } from '@fosspush/webpush/user-agent';
import { describe, expect, it } from 'vitest';
import { createFallbackTransport } from './fallback-transport.js';

/** A transport whose streams the test ends by hand. */
function scripted(kind: string) {
  const opened: DeviceStreamEvents[] = [];
  const transport: DeviceStreamTransport = {
    kind,
    open(_request, events) {
      opened.push(events);
      return { ack: async () => true, close() {} };
    },
  };
  return { transport, opened };
}

const events: DeviceStreamEvents = { frame() {}, alive() {}, problem() {}, closed() {} };
const request = { setUrl: 'http://push.example/set/x', afterSeq: undefined, heartbeatMs: 120_000 };
const down = new FosspushError('UNAVAILABLE', 'refused');

describe('WebSocket with SSE fallback', () => {
  it('switches after repeated WebSocket failures before a first frame, and stays', () => {
    const ws = scripted('websocket');
    const sse = scripted('sse');
    const transport = createFallbackTransport(ws.transport, sse.transport, 2);
    transport.open(request, events);
    ws.opened[0]?.closed(down);
    expect(transport.current).toBe('websocket');
    transport.open(request, events);
    ws.opened[1]?.closed(down);
    expect(transport.current).toBe('sse');
    transport.open(request, events);
    expect(sse.opened).toHaveLength(1);
    expect(ws.opened).toHaveLength(2);
  });

  it('keeps WebSocket while streams get through, and never counts a forgotten set', () => {
    const ws = scripted('websocket');
    const sse = scripted('sse');
    const transport = createFallbackTransport(ws.transport, sse.transport, 2);
    for (let i = 0; i < 5; i++) {
      transport.open(request, events);
      ws.opened[i]?.frame('{"type":"ready"}');
      ws.opened[i]?.closed(down);
    }
    transport.open(request, events);
    ws.opened[5]?.closed(new FosspushError('NOT_FOUND', 'set gone'));
    transport.open(request, events);
    ws.opened[6]?.closed(new FosspushError('NOT_FOUND', 'set gone'));
    expect(transport.current).toBe('websocket');
    expect(sse.opened).toHaveLength(0);
  });
});
