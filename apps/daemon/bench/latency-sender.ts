// The app server of the push server -> app latency case in a process of its own, as an app
// server is in a deployment (FOSSPUSH_BENCH_LATENCY_SENDER=process); by default the bench process
// plays it. In the bench process, the 201 reaches the app's process before any message that goes
// through a daemon, and reading it may hold up a frame that arrives meanwhile. So that this
// process does not do the same by answering, it says nothing while a push is on its way: the
// bench asks for the times (`process.hrtime`, shared with it) once the message has arrived.
//
// Parent -> child (process IPC), { id, cmd: 'hops', args }:
//   { push: { token, n } }  answered { accepted: true } at once, before it encrypts and POSTs;
//   { times: n }            answered { started, posted } once that push has its 201.
import { monotonicMs } from '@fosspush/testing';
import { push } from '../test/rigs.js';

export interface SentPush {
  /** Before encrypting. */
  started: number;
  /** The 201 read. */
  posted: number;
}

export type SenderRequest = { push: { token: string; n: string } } | { times: string };

const pushes = new Map<string, Promise<SentPush>>();

process.on('message', (request: { id: number; cmd: string; args: SenderRequest }) => {
  const { args } = request;
  if ('push' in args) {
    process.send?.({ id: request.id, result: { accepted: true } });
    const started = monotonicMs();
    const sent = push(args.push.token, { n: args.push.n }).then(() => ({ started, posted: monotonicMs() }));
    sent.catch((error: unknown) => {
      console.error('bench push failed', error);
      process.exit(1);
    });
    pushes.set(args.push.n, sent);
  } else {
    const sent = pushes.get(args.times);
    pushes.delete(args.times);
    void sent?.then((times) => process.send?.({ id: request.id, result: times }));
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send?.({ id: 0, result: 'ready' });
