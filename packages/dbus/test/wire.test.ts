import { isFosspushError } from '@fosspush/core';
import { type DbusRig, type IndependentConnector, startDbus, startIndependentConnector } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Bus,
  type ConnectorTarget,
  connectSessionBus,
  createConnector,
  createDistributor,
  type Distributor,
  type DistributorBackend,
  type RegisterRequest,
} from '../src/index.js';

/** Keeps registrations in a Map, as fosspushd keeps them in its store. */
function memoryBackend() {
  const tokens = new Map<string, ConnectorTarget & { endpoint: string; vapid?: string }>();
  const requests: RegisterRequest[] = [];
  const backend: DistributorBackend = {
    async register(request) {
      requests.push(request);
      const existing = tokens.get(request.token);
      if (existing && existing.service !== request.service) return { failure: 'INTERNAL_ERROR' };
      const endpoint = existing?.endpoint ?? `https://push.example.test/p/${request.token.slice(0, 8)}`;
      tokens.set(request.token, { service: request.service, version: request.version, endpoint, ...(request.vapid ? { vapid: request.vapid } : {}) });
      return { endpoint };
    },
    findToken: async (token) => tokens.get(token),
    async unregister(token) {
      tokens.delete(token);
    },
  };
  return { backend, tokens, requests };
}

const VAPID = `B${'A'.repeat(86)}`;

describe('UnifiedPush over a private dbus-daemon', () => {
  let rig: DbusRig;
  let distributorBus: Bus;
  let distributor: Distributor;
  const memory = memoryBackend();
  const connectors: IndependentConnector[] = [];

  beforeAll(async () => {
    rig = await startDbus();
    distributorBus = await connectSessionBus({ address: rig.address });
    distributor = createDistributor({ bus: distributorBus, backend: memory.backend });
    await distributor.start();
  });
  afterAll(async () => {
    for (const connector of connectors) connector.close();
    await distributorBus?.close();
    await rig?.stop();
  });

  const connector = async (service: string, version: 1 | 2, ownName = true) => {
    const made = await startIndependentConnector({ address: rig.address, service, version, ownName });
    connectors.push(made);
    return made;
  };

  it('serves Distributor1 and Distributor2 at /org/unifiedpush/Distributor under its bus name', async () => {
    const xml = await rig.gdbus(['introspect', '--session', '--dest', 'org.unifiedpush.Distributor.fosspush', '--object-path', '/org/unifiedpush/Distributor', '--xml']);
    expect(xml).toContain('<interface name="org.unifiedpush.Distributor2">');
    expect(xml).toContain('<interface name="org.unifiedpush.Distributor1">');
    expect(xml).toMatch(/<method name="Register">\s*<arg type="a\{sv\}" name="args" direction="in"/);
  });

  it('v2: registers a connector that owns its name, then calls NewEndpoint with the endpoint', async () => {
    const app = await connector('org.example.ChatTwo', 2);
    const reply = await app.register('token-v2-aaaaaaaa', { description: 'alice@example.test', vapid: VAPID });
    expect(reply).toEqual({ success: 'REGISTRATION_SUCCEEDED' });
    await vi.waitFor(() => expect(app.endpoints.get('token-v2-aaaaaaaa')).toBe('https://push.example.test/p/token-v2'));
    expect(memory.requests.at(-1)).toMatchObject({ version: 2, service: 'org.example.ChatTwo', description: 'alice@example.test', vapid: VAPID });
    expect(memory.requests.at(-1)?.caller.uniqueName).toBe(app.uniqueName);
    expect(memory.requests.at(-1)?.caller.uid).toBe(process.getuid?.());

    // The spec: Register again with the same token gets NewEndpoint again.
    app.endpoints.clear();
    await app.register('token-v2-aaaaaaaa');
    await vi.waitFor(() => expect(app.endpoints.get('token-v2-aaaaaaaa')).toBe('https://push.example.test/p/token-v2'));
  });

  it('v2: a message is acknowledged by the echoed id, and not without it', async () => {
    const app = await connector('org.example.Acks', 2);
    await app.register('token-acks-1');
    const target = { service: 'org.example.Acks', version: 2 } as const;
    const body = new Uint8Array([1, 2, 3, 250]);
    expect(await distributor.connectors.message(target, 'token-acks-1', body, 'm-1')).toBe(true);
    expect(app.messages.at(-1)).toEqual({ token: 'token-acks-1', message: body, id: 'm-1' });
    app.acknowledge = false;
    expect(await distributor.connectors.message(target, 'token-acks-1', body, 'm-2')).toBe(false);
    // An app that is not on the bus (and not activatable) keeps its messages too.
    expect(await distributor.connectors.message({ service: 'org.example.NotRunning', version: 2 }, 't', body, 'm-3')).toBe(false);
  });

  it('v1: Register(s,s,s) answers (result, reason), then NewEndpoint(s,s) and Message(s,ay,s) arrive', async () => {
    const app = await connector('org.example.ChatOne', 1);
    expect(await app.register('token-v1-bbbbbbbb', { description: 'legacy' })).toEqual({ success: 'REGISTRATION_SUCCEEDED' });
    await vi.waitFor(() => expect(app.endpoints.get('token-v1-bbbbbbbb')).toBe('https://push.example.test/p/token-v1'));
    const body = new TextEncoder().encode('ciphertext');
    expect(await distributor.connectors.message({ service: 'org.example.ChatOne', version: 1 }, 'token-v1-bbbbbbbb', body, 'id-1')).toBe(true);
    await vi.waitFor(() => expect(app.messages).toEqual([{ token: 'token-v1-bbbbbbbb', message: body, id: 'id-1' }]));
  });

  it('refuses a caller that does not own the service name it claims (gdbus, and a connection without the name)', async () => {
    const out = await rig.gdbus([
      'call', '--session', '--dest', 'org.unifiedpush.Distributor.fosspush', '--object-path', '/org/unifiedpush/Distributor',
      '--method', 'org.unifiedpush.Distributor2.Register', "{'service': <'org.example.ChatTwo'>, 'token': <'stolen-token'>}",
    ]);
    expect(out).toContain("'success': <'REGISTRATION_FAILED'>");
    expect(out).toContain("'reason': <'UNAUTHORIZED'>");
    const impostor = await connector('org.example.Impostor', 2, false);
    expect(await impostor.register('impostor-token', { service: 'org.example.ChatTwo' })).toEqual({ success: 'REGISTRATION_FAILED', reason: 'UNAUTHORIZED' });
    expect(memory.tokens.has('stolen-token')).toBe(false);
    expect(memory.tokens.has('impostor-token')).toBe(false);
    // v1 has no UNAUTHORIZED: the generic reason.
    const out1 = await rig.gdbus([
      'call', '--session', '--dest', 'org.unifiedpush.Distributor.fosspush', '--object-path', '/org/unifiedpush/Distributor',
      '--method', 'org.unifiedpush.Distributor1.Register', 'org.example.ChatOne', 'x-token', '',
    ]);
    expect(out1.trim()).toBe("('REGISTRATION_FAILED', 'INTERNAL_ERROR')");
  });

  it('ignores calls whose fields break the spec', async () => {
    const call = (dict: string) =>
      rig.gdbus(['call', '--session', '--dest', 'org.unifiedpush.Distributor.fosspush', '--object-path', '/org/unifiedpush/Distributor', '--method', 'org.unifiedpush.Distributor2.Register', dict]);
    await expect(call("{'service': <'org.example.X'>}")).rejects.toThrow(/InvalidArgs/);
    await expect(call(`{'service': <'org.example.X'>, 'token': <'${'t'.repeat(101)}'>}`)).rejects.toThrow(/InvalidArgs/);
    await expect(call("{'service': <'org.example.X'>, 'token': <'t'>, 'vapid': <'short'>}")).rejects.toThrow(/InvalidArgs/);
  });

  it('one app cannot unregister another app\'s token; the owner can, and hears Unregistered', async () => {
    const owner = await connector('org.example.Owner', 2);
    const other = await connector('org.example.Other', 2);
    await owner.register('owner-token-1');
    await other.unregister('owner-token-1');
    expect(memory.tokens.has('owner-token-1')).toBe(true);
    expect(other.unregistered).toEqual([]);
    await owner.unregister('owner-token-1');
    expect(memory.tokens.has('owner-token-1')).toBe(false);
    await vi.waitFor(() => expect(owner.unregistered).toEqual(['owner-token-1']));
  });

  it('our own connector registers, gets its endpoint and messages, and acks them', async () => {
    const bus = await connectSessionBus({ address: rig.address });
    const got: string[] = [];
    const app = createConnector({
      bus,
      service: 'org.example.OurConnector',
      onNewEndpoint: (token, endpoint) => void got.push(`endpoint ${token} ${endpoint}`),
      onMessage: (token, message, id) => void got.push(`message ${token} ${message.length} ${id}`),
      onUnregistered: (token) => void got.push(`unregistered ${token}`),
    });
    await app.start();
    expect(await app.distributors()).toEqual(['org.unifiedpush.Distributor.fosspush']);
    expect(await app.register({ token: 'ours-1', vapid: VAPID })).toEqual({ success: true });
    await vi.waitFor(() => expect(got).toEqual(['endpoint ours-1 https://push.example.test/p/ours-1']));
    expect(await distributor.connectors.message({ service: 'org.example.OurConnector', version: 2 }, 'ours-1', new Uint8Array(10), 'x')).toBe(true);
    // A token it never registered is ignored: no callback, no acknowledgement.
    expect(await distributor.connectors.message({ service: 'org.example.OurConnector', version: 2 }, 'unknown', new Uint8Array(10), 'y')).toBe(false);
    await app.unregister('ours-1');
    await vi.waitFor(() => expect(got).toEqual(['endpoint ours-1 https://push.example.test/p/ours-1', 'message ours-1 10 x', 'unregistered ours-1']));
    await app.close();
    await bus.close();
  });

  it('says who holds the name when a second distributor cannot own it', async () => {
    const bus = await connectSessionBus({ address: rig.address });
    const second = createDistributor({ bus, backend: memoryBackend().backend });
    const failure = await second.start().catch((error: unknown) => error);
    expect(isFosspushError(failure, 'UNAVAILABLE')).toBe(true);
    expect((failure as Error).message).toContain(`owned by ${distributorBus.uniqueName}, pid ${process.pid}`);
    await bus.close();
  });
});
