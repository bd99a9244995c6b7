// fosspushd for the push server -> app latency case, in a process of its own: createDaemon with
// one push-server account, plus clocks on the hops inside it. Nothing here changes what the
// daemon does: the hops are a listener on the channel registered before the daemon's and the
// daemon's structured log (`message_stored`, logged once the IPC frame is written). Times are
// `process.hrtime` (monotonic, shared by every process on the machine), so the parent compares
// them with its own.
//
// Parent -> child (process IPC): { id, cmd: 'hops', args: { messageId } }.
import { monotonicMs } from '@fosspush/testing';
import { runBenchDaemon } from './daemon-child.js';

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

await runBenchDaemon<{ messageId: string }>(
  { dataDir: settings.dataDir, socketPath: settings.socketPath, accounts: [{ id: 'home', type: 'push-server', url: settings.serverUrl }] },
  {
    channelMessage: (messageId) => {
      hop(messageId).channel ??= monotonicMs();
    },
    stored: (messageId) => {
      hop(messageId).forwarded ??= monotonicMs();
    },
    hops: ({ messageId }) => byMessage.get(messageId) ?? {},
  },
);
