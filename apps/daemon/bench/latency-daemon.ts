// fosspushd for the push server -> app latency case, in a process of its own: createDaemon with
// one push-server account, plus clocks on the hops inside it. Nothing here changes what the
// daemon does: the hops are a listener on the channel registered before the daemon's and the
// daemon's structured log (`message_stored`, logged once the IPC frame is written). Times are
// `process.hrtime` (monotonic, shared by every process on the machine), so the parent compares
// them with its own.
//
// Parent -> child (process IPC): { id, cmd: 'hops', args: { messageId } }.
import type { LogFields, Logger } from '@fosspush/core';
import { createChannelForAccount, createDaemon } from '@fosspush/daemon';
import { monotonicMs } from '@fosspush/testing';

export interface LatencyDaemonSettings {
  serverUrl: string;
  dataDir: string;
  socketPath: string;
}

/** When each hop inside the daemon happened for one message (monotonic ms); absent if not seen. */
export interface LatencyDaemonHops {
  /** The channel's `message` event: the frame read off the WebSocket and parsed. */
  channel?: number;
  /** The IPC notification written to the app's socket (`message_stored`). */
  forwarded?: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as LatencyDaemonSettings;
const byMessage = new Map<string, LatencyDaemonHops>();
const hop = (messageId: string) => {
  let entry = byMessage.get(messageId);
  if (!entry) {
    entry = {};
    byMessage.set(messageId, entry);
    if (byMessage.size > 10_000) byMessage.delete(byMessage.keys().next().value as string);
  }
  return entry;
};

const log = (event: string, fields?: LogFields) => {
  if (event === 'message_stored' && typeof fields?.['messageId'] === 'string') hop(fields['messageId']).forwarded ??= monotonicMs();
};
/** Trouble goes to stderr, so a bench that stalls says why. */
const report = (event: string, fields?: LogFields) => console.error(event, JSON.stringify(fields));
const logger: Logger = { debug: log, info: log, warn: report, error: report };

const daemon = createDaemon({
  dataDir: settings.dataDir,
  socketPath: settings.socketPath,
  unifiedPush: { enabled: false },
  logger,
  accounts: [{ id: 'home', type: 'push-server', url: settings.serverUrl }],
  async createChannel(account, context) {
    const channel = await createChannelForAccount(account, context);
    channel.on('message', (event) => {
      hop(event.message.id).channel ??= monotonicMs();
    });
    return channel;
  },
});

await daemon.start();
process.on('message', (request: { id: number; cmd: string; args: { messageId: string } }) => {
  if (request.cmd === 'hops') process.send?.({ id: request.id, result: byMessage.get(request.args.messageId) ?? {} });
});
process.on('SIGTERM', () => {
  void daemon.stop().then(() => process.exit(0));
});
process.send?.({ id: 0, result: 'ready' });
