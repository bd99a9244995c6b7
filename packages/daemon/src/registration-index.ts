/**
 * Finds the daemon registration a channel message is for. Channels speak their own
 * registration ids; the daemon's ids are its own. Rebuilt from the store at start.
 */
export class RegistrationIndex {
  private readonly byChannel = new Map<string, string>();

  private static key(account: string, channelRegistrationId: string): string {
    return `${account}\n${channelRegistrationId}`;
  }

  set(account: string, channelRegistrationId: string, registrationId: string): void {
    this.byChannel.set(RegistrationIndex.key(account, channelRegistrationId), registrationId);
  }

  get(account: string, channelRegistrationId: string): string | undefined {
    return this.byChannel.get(RegistrationIndex.key(account, channelRegistrationId));
  }

  delete(account: string, channelRegistrationId: string): void {
    this.byChannel.delete(RegistrationIndex.key(account, channelRegistrationId));
  }

  countFor(account: string): number {
    let count = 0;
    for (const key of this.byChannel.keys()) if (key.startsWith(`${account}\n`)) count++;
    return count;
  }
}
