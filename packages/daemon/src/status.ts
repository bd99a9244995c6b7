import { IPC_PAGE_LIMIT, IPC_PROTOCOL_VERSION, type StatusResult } from '@fosspush/ipc';
import { allRegistrations, type DaemonContext } from './context.js';
import { readFields } from './registration-record.js';
import { isUnifiedPushOwner, serviceOfOwner } from './unifiedpush-tokens.js';

export interface StatusSource {
  socketPath: string;
  startedAt: number;
  version: string;
}

/** What `fosspushd status` prints: accounts and their connection state, every registration. */
export async function daemonStatus(context: DaemonContext, source: StatusSource): Promise<StatusResult> {
  const { store } = context;
  const registrations = await allRegistrations(context);
  const queued = await Promise.all(registrations.map((r) => store.listMessages({ registrationId: r.id, limit: IPC_PAGE_LIMIT })));
  return {
    protocol: IPC_PROTOCOL_VERSION,
    version: source.version,
    pid: process.pid,
    startedAt: source.startedAt,
    socketPath: source.socketPath,
    accounts: [...context.accounts.values()].map((account) => ({
      id: account.config.id,
      kind: account.channel.kind,
      target: account.target,
      state: account.channel.state,
      registrations: context.index.countFor(account.config.id),
      lastError: account.lastError,
    })),
    registrations: registrations.map((registration, i) => {
      const fields = readFields(registration);
      const unifiedPush = isUnifiedPushOwner(fields.appId);
      return {
        registrationId: registration.id,
        appId: unifiedPush ? serviceOfOwner(fields.appId) : fields.appId,
        instance: fields.instance,
        account: fields.account,
        createdAt: registration.createdAt,
        queued: queued[i]?.length ?? 0,
        ...(unifiedPush ? { via: 'unifiedpush' as const } : {}),
      };
    }),
  };
}
