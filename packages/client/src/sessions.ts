import { AppSession, type ClientOptions } from './app-session.js';

const sessions = new Map<string, AppSession>();

/**
 * One session per app id and socket in a process, like GCM's per-context singletons: the GCM,
 * InstanceID and FCM objects of one app share its connection, keys and listeners. The first
 * caller's options win; a closed session is replaced on the next call.
 */
export function sessionFor(options: ClientOptions): AppSession {
  const key = `${options.appId}\n${options.socketPath ?? ''}\n${options.keyFile ?? ''}`;
  let session = sessions.get(key);
  if (!session || session.isClosed) {
    session = new AppSession(options);
    sessions.set(key, session);
  }
  return session;
}
