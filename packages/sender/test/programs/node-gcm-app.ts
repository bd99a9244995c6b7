// An app server written against node-gcm (and @types/node-gcm), callbacks and all. The test
// keeps a copy, fosspush-node-gcm-app.ts, that differs only in the import line, and both
// type-check in `pnpm typecheck`; the copy runs against a real fosspush-server.
import * as gcm from 'node-gcm';

export interface GcmAppRun {
  topic: unknown;
  to: unknown;
  condition: unknown;
  tokens: unknown;
}

export async function runGcmApp(sender: gcm.Sender, tokens: string[]): Promise<GcmAppRun> {
  const settle = (send: (done: (error: unknown, response?: unknown) => void) => void) =>
    new Promise<unknown>((resolve, reject) => send((error, response) => (error ? reject(error) : resolve(response))));
  const message = (kind: string) => new gcm.Message({ data: { kind }, collapseKey: 'gcm', timeToLive: 600, priority: 'high' });
  const topic = await settle((done) => sender.send(message('topic'), { topic: '/topics/news' }, done));
  const to = await settle((done) => sender.send(message('to'), { to: '/topics/news' }, done));
  const condition = await settle((done) => sender.send(message('condition'), { condition: "'news' in topics && 'sport' in topics" }, done));
  const sent = await settle((done) => sender.send(message('tokens'), { registrationTokens: tokens }, done));
  return { topic, to, condition, tokens: sent };
}
