import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type Broker,
  createMemoryBroker,
  createMemoryStore,
  createPushMessage,
  type DeviceHub,
  FosspushError,
  type PushMessageInput,
  type Store,
  type StoredMessage,
} from '@fosspush/core';

const id = () => randomBytes(16).toString('base64url');

/** A DeviceHub over a store and broker, as the contract describes it, with what tests inspect. */
export interface TestDeviceHub extends DeviceHub {
  /** Subscription sets the hub knows; `open` rejects others with NOT_FOUND. */
  readonly sets: Set<string>;
  /** The `afterSeq` of every `open`, in order. */
  readonly opens: Array<number | undefined>;
  readonly openSessions: number;
}

/**
 * The replay-then-live order without gaps or duplicates: subscribe to the broker first (so
 * nothing published meanwhile is missed), replay the backlog, then pass on live messages with
 * a seq past the last one replayed.
 */
export function createTestDeviceHub(store: Store, broker: Broker): TestDeviceHub {
  const sets = new Set<string>();
  const opens: Array<number | undefined> = [];
  let openSessions = 0;
  return {
    sets,
    opens,
    get openSessions() {
      return openSessions;
    },
    async open(setSecret, sink, afterSeq) {
      opens.push(afterSeq);
      if (!sets.has(setSecret)) throw new FosspushError('NOT_FOUND', 'no such subscription set');
      let replaying = true;
      let lastReplayed = afterSeq ?? 0;
      const liveDuringReplay: StoredMessage[] = [];
      const unsubscribe = await broker.subscribe(setSecret, (event) => {
        if (event.type !== 'message') return;
        if (replaying) liveDuringReplay.push(event.message);
        else if (event.message.seq > lastReplayed) sink.send(event.message);
      });
      for (;;) {
        const page = await store.listMessages({ owner: setSecret, afterSeq: lastReplayed, limit: 100 });
        for (const message of page) {
          sink.send(message);
          lastReplayed = message.seq;
        }
        if (page.length < 100) break;
      }
      replaying = false;
      for (const message of liveDuringReplay) if (message.seq > lastReplayed) sink.send(message);
      openSessions++;
      let closed = false;
      return {
        async ack(messageId) {
          const message = await store.getMessage(messageId);
          if (message?.owner === setSecret) await store.ack(messageId);
        },
        close() {
          if (closed) return;
          closed = true;
          openSessions--;
          void unsubscribe();
        },
      };
    },
  };
}

/** The device-stream handlers a rig mounts, built from its hub. */
export interface DeviceWireHandlers {
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, stream: { setSecret: string }): void;
  events?(req: IncomingMessage, res: ServerResponse, stream: { setSecret: string }): void;
  close?(): Promise<void>;
}

export interface DeviceWireRig {
  /** The push service's base URL, with a trailing slash. */
  readonly url: string;
  readonly store: Store;
  readonly hub: TestDeviceHub;
  /** Subscribes over HTTP as a device does, creating a new set. */
  subscribe(): Promise<{ pushId: string; setSecret: string; setUrl: string }>;
  /** Accepts a message for a registration as `POST /p/<pushId>` would. */
  push(registrationId: string, input?: Partial<PushMessageInput>): Promise<StoredMessage>;
  /** Cuts every device stream's TCP connection, as a network failure would. */
  dropStreams(): void;
  /** Answers the next `times` stream requests with this HTTP status and `Retry-After`. */
  refuseStreams(status: number, retryAfterSeconds: number, times: number): void;
  /** Requests the rig served, as `METHOD path`. */
  readonly requests: string[];
  /** When each stream request (WebSocket or SSE) arrived, in ms since the epoch. */
  readonly streamRequestTimes: number[];
  close(): Promise<void>;
}

/**
 * A small push service on a real HTTP server (port 0) that speaks the fixed layout of the
 * device wire: `POST /subscribe`, `DELETE` of subscription and message resources, and the
 * set's streams, which it hands to the handlers under test.
 */
export async function startDeviceWireRig(mount: (hub: TestDeviceHub) => DeviceWireHandlers): Promise<DeviceWireRig> {
  const store = createMemoryStore();
  const broker = createMemoryBroker();
  const hub = createTestDeviceHub(store, broker);
  const handlers = mount(hub);
  const subscriptionUrls = new Map<string, string>();
  const streamSockets = new Set<Socket>();
  const requests: string[] = [];
  const streamRequestTimes: number[] = [];
  let refusal: { status: number; retryAfterSeconds: number; times: number } | undefined;
  /** The refusal to answer a stream request with, if one is pending. */
  const takeRefusal = () => {
    streamRequestTimes.push(Date.now());
    if (refusal === undefined || refusal.times <= 0) return undefined;
    refusal.times--;
    return refusal;
  };

  const setFromLink = (link: string | undefined) => /<\/set\/([^>]+)>;\s*rel="?urn:ietf:params:push:set"?/.exec(link ?? '')?.[1];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://rig');
    requests.push(`${req.method} ${url.pathname}`);
    const events = /^\/set\/([^/]+)\/events$/.exec(url.pathname);
    if (req.method === 'GET' && events && handlers.events) {
      const refused = takeRefusal();
      if (refused) {
        res.writeHead(refused.status, { 'retry-after': String(refused.retryAfterSeconds) }).end();
        return;
      }
      streamSockets.add(req.socket);
      // The request is left to the handler: it reads `Last-Event-ID`, `?after=`, `v` and `heartbeat` itself.
      handlers.events(req, res, { setSecret: events[1] as string });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/subscribe') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const link = req.headers['link'];
      const joined = setFromLink(Array.isArray(link) ? link.join(', ') : link);
      if (joined !== undefined && !hub.sets.has(joined)) {
        res.writeHead(404).end();
        return;
      }
      const setSecret = joined ?? id();
      hub.sets.add(setSecret);
      const pushId = id();
      const subscription = id();
      subscriptionUrls.set(subscription, pushId);
      const vapid = body === '' ? undefined : (JSON.parse(body) as { vapid?: string }).vapid;
      await store.putRegistration({ id: pushId, owner: setSecret, createdAt: Date.now(), data: vapid === undefined ? {} : { vapid } });
      res.setHeader('location', `/sub/${subscription}`);
      res.setHeader('link', [`</p/${pushId}>; rel="urn:ietf:params:push"`, `</set/${setSecret}>; rel="urn:ietf:params:push:set"`]);
      res.writeHead(201).end();
      return;
    }
    const subscription = /^\/sub\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && subscription) {
      const pushId = subscriptionUrls.get(subscription[1] as string);
      subscriptionUrls.delete(subscription[1] as string);
      const deleted = pushId !== undefined && (await store.deleteRegistration(pushId));
      res.writeHead(deleted ? 204 : 404).end();
      return;
    }
    const message = /^\/m\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && message) {
      res.writeHead((await store.ack(message[1] as string)) ? 204 : 404).end();
      return;
    }
    res.writeHead(404).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://rig');
    requests.push(`UPGRADE ${url.pathname}`);
    const match = /^\/set\/([^/]+)\/ws$/.exec(url.pathname);
    if (!match || !handlers.upgrade) {
      socket.destroy();
      return;
    }
    const refused = takeRefusal();
    if (refused) {
      socket.end(`HTTP/1.1 ${refused.status} Refused\r\nRetry-After: ${refused.retryAfterSeconds}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    streamSockets.add(socket as Socket);
    handlers.upgrade(req, socket, head, { setSecret: match[1] as string });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    store,
    hub,
    requests,
    streamRequestTimes,
    refuseStreams(status, retryAfterSeconds, times) {
      refusal = { status, retryAfterSeconds, times };
    },
    async subscribe() {
      const response = await fetch(`http://127.0.0.1:${port}/subscribe`, { method: 'POST' });
      const link = response.headers.get('link') ?? '';
      const pushId = /<\/p\/([^>]+)>/.exec(link)?.[1] as string;
      const setSecret = /<\/set\/([^>]+)>/.exec(link)?.[1] as string;
      return { pushId, setSecret, setUrl: `http://127.0.0.1:${port}/set/${setSecret}` };
    },
    async push(registrationId, input = {}) {
      const message = createPushMessage({ payload: new Uint8Array([1, 2, 3]), ttlSeconds: 3600, ...input });
      const { message: stored } = await store.enqueue(registrationId, message);
      await broker.publish(stored.owner, { type: 'message', message: stored });
      return stored;
    },
    dropStreams() {
      for (const socket of streamSockets) socket.destroy();
      streamSockets.clear();
    },
    async close() {
      await handlers.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
      await store.close();
    },
  };
}
