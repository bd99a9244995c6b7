import type { IpcConnection, IpcNotificationName, IpcNotifications } from '@fosspush/ipc';

/** The connections that asked to observe each app: where new messages and token changes go. */
export class Observers {
  private readonly byApp = new Map<string, Set<IpcConnection>>();

  add(appId: string, connection: IpcConnection): void {
    const set = this.byApp.get(appId) ?? new Set();
    this.byApp.set(appId, set);
    if (set.has(connection)) return;
    set.add(connection);
    connection.onClose(() => {
      set.delete(connection);
      if (set.size === 0 && this.byApp.get(appId) === set) this.byApp.delete(appId);
    });
  }

  /** Returns how many connections took the notification. */
  notify<N extends IpcNotificationName>(appId: string, name: N, params: IpcNotifications[N]): number {
    let delivered = 0;
    for (const connection of this.byApp.get(appId) ?? []) {
      if (connection.notify(name, params)) delivered++;
    }
    return delivered;
  }
}
