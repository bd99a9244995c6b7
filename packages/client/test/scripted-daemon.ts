import { encodeToken, FosspushError, toBase64Url, type Urgency, utf8Encode } from '@fosspush/core';
import {
  createIpcServer,
  type IpcConnection,
  type IpcMessage,
  type IpcServer,
  type RegisterParams,
  type RegistrationInfo,
} from '@fosspush/ipc';

/**
 * A daemon stand-in on a real socket, for SDK tests: it speaks the IPC schema, keeps state in
 * memory, and lets the test queue ciphertext for a registration. The real daemon is tested in
 * packages/daemon; here the SDK's side of the wire is under test.
 */
export interface ScriptedDaemon {
  server: IpcServer;
  registrations: Map<string, RegistrationInfo & { keys: RegisterParams['keys'] }>;
  queued: IpcMessage[];
  acked: string[];
  queue(registrationId: string, payload: string, extra?: { topic?: string; urgency?: Urgency }): IpcMessage;
  changeToken(registrationId: string, endpoint: string): void;
  reportDeleted(appId: string, count: number): void;
  close(): Promise<void>;
}

/** The credential the scripted daemon issues to an app: predictable, so tests can check it was stored. */
export function scriptedCredential(appId: string): string {
  return `${toBase64Url(utf8Encode(appId))}_credential`;
}

export async function startScriptedDaemon(socketPath: string): Promise<ScriptedDaemon> {
  const credentials = new Map<string, string>();
  const registrations: ScriptedDaemon['registrations'] = new Map();
  const observers = new Set<IpcConnection>();
  const queued: IpcMessage[] = [];
  const acked: string[] = [];
  let seq = 0;

  const check = (appId: string, credential: string | undefined) => {
    if (credentials.get(appId) !== credential) throw new FosspushError('PERMISSION_DENIED', 'wrong credential');
  };
  const info = (r: RegistrationInfo & { keys: unknown }): RegistrationInfo => {
    const { keys: _keys, ...rest } = r;
    return rest;
  };

  const server = createIpcServer(
    {
      register(params) {
        let issued: string | undefined;
        if (!credentials.has(params.appId)) {
          issued = scriptedCredential(params.appId);
          credentials.set(params.appId, issued);
        } else check(params.appId, params.credential);
        const existing = [...registrations.values()].find((r) => r.appId === params.appId && r.instance === params.instance);
        if (existing) return { registration: info(existing), created: false };
        const registrationId = `r${registrations.size + 1}`;
        const token = encodeToken({ channel: 'webpush', endpoint: `https://push.example/p/${registrationId}`, ...params.keys, extras: {} });
        const registration = {
          registrationId,
          appId: params.appId,
          instance: params.instance,
          account: 'home',
          channelKind: 'fake',
          token,
          createdAt: Date.now(),
          senderIds: params.senderIds ?? [],
          capabilities: { upstream: false, topics: false },
          keys: params.keys,
        };
        registrations.set(registrationId, registration);
        return { registration: info(registration), created: true, credential: issued };
      },
      unregister(params) {
        check(params.appId, params.credential);
        const found = [...registrations.values()].find((r) => r.appId === params.appId && r.instance === params.instance);
        if (found) registrations.delete(found.registrationId);
        return { removed: found !== undefined };
      },
      registrations(params) {
        check(params.appId, params.credential);
        return { registrations: [...registrations.values()].filter((r) => r.appId === params.appId).map(info) };
      },
      messages(params) {
        check(params.appId, params.credential);
        const mine = queued.filter((m) => registrations.get(m.registrationId)?.appId === params.appId && m.seq > (params.afterSeq ?? 0));
        return { messages: mine, cursor: mine.at(-1)?.seq ?? params.afterSeq ?? 0, more: false };
      },
      ack(params) {
        check(params.appId, params.credential);
        let count = 0;
        for (const id of params.messageIds) {
          const index = queued.findIndex((m) => m.id === id);
          if (index >= 0) {
            queued.splice(index, 1);
            acked.push(id);
            count++;
          }
        }
        return { acked: count };
      },
      observe(params, connection) {
        check(params.appId, params.credential);
        observers.add(connection);
        connection.onClose(() => observers.delete(connection));
        return { observing: true };
      },
      status() {
        throw new FosspushError('UNAVAILABLE', 'not scripted');
      },
    },
    { socketPath },
  );
  await server.listen();

  return {
    server,
    registrations,
    queued,
    acked,
    queue(registrationId, payload, extra = {}) {
      const registration = registrations.get(registrationId);
      if (!registration) throw new Error(`no registration ${registrationId}`);
      const message: IpcMessage = {
        id: `m${++seq}`,
        seq,
        registrationId,
        payload,
        sentAt: Date.now(),
        ttlSeconds: 60,
        urgency: extra.urgency ?? 'normal',
        topic: extra.topic,
      };
      queued.push(message);
      for (const connection of observers) connection.notify('message', { appId: registration.appId, message });
      return message;
    },
    changeToken(registrationId, endpoint) {
      const registration = registrations.get(registrationId);
      if (!registration) throw new Error(`no registration ${registrationId}`);
      registration.token = encodeToken({ channel: 'webpush', endpoint, ...registration.keys, extras: {} });
      for (const connection of observers) connection.notify('token', { appId: registration.appId, registration: info(registration) });
    },
    reportDeleted(appId, count) {
      for (const connection of observers) connection.notify('deleted', { appId, count });
    },
    close: () => server.close(),
  };
}
