import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { describeDeviceChannelConformance, type DeviceWireRig, startDeviceWireRig } from '@fosspush/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSseChannel, createSseDeviceHandler, type SseDeviceHandler } from '../src/index.js';

describeDeviceChannelConformance('sse', {
  mount: (hub, options) => {
    const handler = createSseDeviceHandler({ hub, ...options });
    return { events: handler.handle, close: handler.close };
  },
  async stallStream(setUrl) {
    const stalled = request(`${setUrl}/events`);
    const response = await new Promise<IncomingMessage>((resolve) => stalled.on('response', resolve).end());
    response.pause();
    response.socket.pause();
    return () => stalled.destroy();
  },
  mountScripted(frames) {
    const open = new Set<ServerResponse>();
    return {
      events(_req, res) {
        open.add(res);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const frame of frames) res.write(`data: ${frame}\n\n`);
      },
      async close() {
        for (const res of open) res.destroy();
      },
    };
  },
  createChannel: (options) => createSseChannel(options),
});

const WAIT = { timeout: 5_000, interval: 10 };

describe('SSE device handler', () => {
  const start = async (options: Partial<Parameters<typeof createSseDeviceHandler>[0]> = {}) => {
    let handler: SseDeviceHandler | undefined;
    const rig = await startDeviceWireRig((hub) => {
      handler = createSseDeviceHandler({ hub, heartbeatIntervalMs: 1_000, ...options });
      return { events: handler.handle, close: handler.close };
    });
    onTestFinished(() => rig.close());
    return { rig, handler: handler as SseDeviceHandler };
  };

  const subscribe = async (rig: DeviceWireRig) => {
    const made = await rig.subscribe();
    return { ...made, eventsUrl: `${made.setUrl}/events` };
  };

  /** A raw reader of the event stream: the text so far, and the response's status and headers. */
  const rawStream = async (url: string, headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const response = await fetch(url, { headers, signal: controller.signal });
    const stream = { response, text: '', ended: false };
    if (response.body) {
      void (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) stream.text += decoder.decode(chunk);
        } catch {
          // aborted by the test's cleanup
        }
        stream.ended = true;
      })();
    }
    return stream;
  };

  const dataOf = (text: string) =>
    text
      .split('\n\n')
      .flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ')))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);

  it('streams ready, then the messages after Last-Event-ID, each with its seq as the event id', async () => {
    const { rig } = await start();
    const { pushId, eventsUrl } = await subscribe(rig);
    const queued = [await rig.push(pushId), await rig.push(pushId), await rig.push(pushId)];
    // Last-Event-ID wins over a stale ?after=, as a browser EventSource sends both.
    const stream = await rawStream(`${eventsUrl}?after=0`, { 'last-event-id': String(queued[0]?.seq) });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    const live = await rig.push(pushId);
    await vi.waitFor(() => expect(dataOf(stream.text)).toHaveLength(4), WAIT);
    expect(dataOf(stream.text)[0]).toEqual({ type: 'ready', v: 1, heartbeatMs: 1_000 });
    expect(dataOf(stream.text).slice(1).map((frame) => frame['id'])).toEqual([queued[1]?.id, queued[2]?.id, live.id]);
    expect(stream.text).toContain(`id: ${live.seq}\ndata: `);
    expect(rig.hub.opens).toEqual([queued[0]?.seq]);
  });

  it('writes comment heartbeats on an idle stream', async () => {
    const { rig } = await start({ heartbeatIntervalMs: 20 });
    const { eventsUrl } = await subscribe(rig);
    const stream = await rawStream(eventsUrl);
    await vi.waitFor(() => expect(stream.text.split(':\n\n').length).toBeGreaterThan(3), WAIT);
  });

  it('answers an unknown set with 404 and a malformed cursor with 400, as JSON', async () => {
    const { rig, handler } = await start();
    const { eventsUrl } = await subscribe(rig);
    const unknown = await fetch(new URL('/set/nope/events', rig.url));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    const malformed = await fetch(eventsUrl, { headers: { 'last-event-id': 'yesterday' } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(handler.connectionCount).toBe(0);
    expect(rig.hub.openSessions).toBe(0);
  });

  it('ends every stream on close and refuses new ones with 503', async () => {
    const { rig, handler } = await start();
    const { eventsUrl } = await subscribe(rig);
    const stream = await rawStream(eventsUrl);
    await vi.waitFor(() => expect(handler.connectionCount).toBe(1), WAIT);
    await handler.close();
    await vi.waitFor(() => expect(stream.ended).toBe(true), WAIT);
    expect(handler.connectionCount).toBe(0);
    expect((await fetch(eventsUrl)).status).toBe(503);
  });
});
