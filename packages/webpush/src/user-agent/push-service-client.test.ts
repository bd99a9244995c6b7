import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushServiceClient } from './push-service-client.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('push service client', () => {
  const servers: Array<ReturnType<typeof createServer>> = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  /** A real HTTP server on port 0 that records requests and answers with `handler`. */
  const serve = async (handler: Handler) => {
    const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  };

  const created = (res: ServerResponse, link: string | string[], location = '/sub/s1') => {
    res.setHeader('location', location);
    res.setHeader('link', link);
    res.writeHead(201).end();
  };

  it('subscribes and resolves Location and both Link relations against the request URL', async () => {
    const { base, seen } = await serve((_req, _body, res) =>
      created(res, ['</push/p/abc>; rel="urn:ietf:params:push"', '<set/xyz>; rel="urn:ietf:params:push:set"'], 'sub/s1'),
    );
    const client = createPushServiceClient({ serverUrl: `${base}/push` });
    expect(await client.subscribe()).toEqual({
      subscriptionUrl: `${base}/push/sub/s1`,
      pushResourceUrl: `${base}/push/p/abc`,
      setUrl: `${base}/push/set/xyz`,
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/push/subscribe', body: '' });
    expect(seen[0]?.headers['link']).toBeUndefined();
  });

  it('reads links from one combined Link field with several relation types', async () => {
    const { base } = await serve((_req, _body, res) =>
      created(res, '<https://elsewhere.example/set/q>; rel="urn:ietf:params:push:set other", </p/a,b>; title="x; y"; rel="urn:ietf:params:push"'),
    );
    const subscription = await createPushServiceClient({ serverUrl: base }).subscribe();
    expect(subscription.setUrl).toBe('https://elsewhere.example/set/q');
    expect(subscription.pushResourceUrl).toBe(`${base}/p/a,b`);
  });

  it('joins a set by its path and restricts to a VAPID key with the RFC 8292 body', async () => {
    const { base, seen } = await serve((_req, _body, res) =>
      created(res, ['</p/2>; rel="urn:ietf:params:push"', '</set/xyz>; rel="urn:ietf:params:push:set"']),
    );
    const vapid = `B${'A'.repeat(86)}`;
    await createPushServiceClient({ serverUrl: `${base}/` }).subscribe({ setUrl: `${base}/set/xyz`, vapidPublicKey: vapid });
    expect(seen[0]?.headers['link']).toBe('</set/xyz>; rel="urn:ietf:params:push:set"');
    expect(seen[0]?.headers['content-type']).toBe('application/webpush-options+json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ vapid });
  });

  it('refuses an answer without the links a device stream needs', async () => {
    const { base } = await serve((_req, _body, res) => created(res, '</p/1>; rel="urn:ietf:params:push"'));
    await expect(createPushServiceClient({ serverUrl: base }).subscribe()).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it.each([
    [400, 'INVALID_REQUEST'],
    [404, 'NOT_FOUND'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [429, 'RATE_LIMITED'],
    [503, 'UNAVAILABLE'],
  ])('maps HTTP %i to %s, keeping the service message and Retry-After', async (status, code) => {
    const { base } = await serve((_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '7' }).end(JSON.stringify({ code: 'X', message: 'because' }));
    });
    await expect(createPushServiceClient({ serverUrl: base }).subscribe()).rejects.toMatchObject({
      code,
      details: { status, retryAfterMs: 7_000, serverCode: 'X', serverMessage: 'because' },
    });
  });

  it('acks and unsubscribes with DELETE, treating "already gone" as done', async () => {
    const { base, seen } = await serve((req, _body, res) => res.writeHead(req.url?.includes('gone') ? 404 : 204).end());
    const client = createPushServiceClient({ serverUrl: `${base}/api/` });
    expect(client.messageUrl('m-1')).toBe(`${base}/api/m/m-1`);
    await client.ack(client.messageUrl('m-1'));
    await client.unsubscribe(`${base}/api/sub/gone`);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /api/m/m-1', 'DELETE /api/sub/gone']);
    expect(() => client.messageUrl('../x')).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE' }));
  });

  it('fails an ack the service refuses, and reports an unreachable service as UNAVAILABLE', async () => {
    const { base } = await serve((_req, _body, res) => res.writeHead(500).end());
    await expect(createPushServiceClient({ serverUrl: base }).ack(`${base}/m/x`)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(createPushServiceClient({ serverUrl: 'http://127.0.0.1:1/' }).subscribe()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('probes with a GET of the base URL: any answer counts, no answer is UNAVAILABLE', async () => {
    const { base, seen } = await serve((_req, _body, res) => res.writeHead(404).end('not here'));
    await createPushServiceClient({ serverUrl: `${base}/push` }).probe();
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /push/']);
    await expect(createPushServiceClient({ serverUrl: 'http://127.0.0.1:1' }).probe()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
