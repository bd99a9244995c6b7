import {
  type ChannelEvents,
  type EmailIdentity,
  type EmitterController,
  FosspushError,
  isFosspushError,
  isNotificationEmail,
  notificationSeenKey,
  parseNotificationEmail,
  type Runtime,
  toFosspushError,
} from '@fosspush/core';
import type { ImapStateView } from './channel-state.js';
import type { AckedMailLedger } from './ledger.js';

/** Where one mail sits: the notification folder's UIDVALIDITY and the mail's UID in it. */
export interface MailLocation {
  uidValidity: string;
  uid: number;
}

/**
 * What to do with a mail after reading it: `delivered` (handed on, expunged after the ack),
 * `quarantine` (rejected, kept for the user), `delete` (authentic but for a registration that
 * no longer exists), `skip` (not for this device: leave it as it is), `defer` (try again once a
 * sender key is pinned: the hello it needs may still be on its way).
 */
export type Verdict = 'delivered' | 'quarantine' | 'delete' | 'skip' | 'defer';

interface InFlight extends MailLocation {
  expiresAt: number;
  handedOnAt: number;
}

export interface ReceiverContext {
  identity: EmailIdentity;
  registrations: ReadonlySet<string>;
  state: ImapStateView;
  ledger: AckedMailLedger;
  emitter: EmitterController<ChannelEvents>;
  runtime: Runtime;
  ackTimeoutMs: number;
  unknownSenderGraceMs: number;
}

/** Rejections that mean "meant for another device reading this mailbox" (spec section 7.3). */
const FOR_ANOTHER_RECEIVER = new Set(['other-recipient', 'unsupported-version']);

/**
 * Turns fetched mail into channel events: verifies each with core's Email-notify parser, hands
 * accepted notifications on, and tracks them until the host acks. Knows nothing of IMAP.
 */
export function createReceiver(context: ReceiverContext) {
  const { emitter, ledger, state, runtime } = context;
  const inFlight = new Map<string, InFlight>();
  // Mail delivery does not keep order: a compact notification can overtake its hello.
  const waitingSince = new Map<string, number>();
  let pins = 0;

  const located = (error: FosspushError, at: MailLocation): FosspushError =>
    new FosspushError(error.code, error.message, { cause: error, details: { ...error.details, uidValidity: at.uidValidity, uid: at.uid } });

  const mayWait = (error: unknown, at: MailLocation): boolean => {
    if (!isFosspushError(error, 'UNKNOWN_SENDER') || !context.registrations.has(String(error.details['registrationId']))) return false;
    const key = `${at.uidValidity}:${at.uid}`;
    const now = runtime.clock.now();
    const since = waitingSince.get(key) ?? now;
    waitingSince.set(key, since);
    if (now - since < context.unknownSenderGraceMs) return true;
    waitingSince.delete(key);
    return false;
  };

  return {
    /** Counts sender keys pinned so far: deferred mail is worth another try when it changes. */
    get pins() {
      return pins;
    },

    /** UIDs handed on and not yet expunged (in flight, or acked and due for expunging): a drain must not read them again. */
    handledUids(uidValidity: string): Set<number> {
      const uids = new Set<number>(ledger.pendingDeletes(uidValidity));
      for (const entry of inFlight.values()) if (entry.uidValidity === uidValidity) uids.add(entry.uid);
      return uids;
    },

    /** Forgets messages the host never acked, so the next drain hands them on again. True if any. */
    releaseUnacked(): boolean {
      const cutoff = runtime.clock.now() - context.ackTimeoutMs;
      let released = false;
      for (const [key, entry] of inFlight) {
        if (entry.handedOnAt <= cutoff) {
          inFlight.delete(key);
          released = true;
        }
      }
      return released;
    },

    async receive(raw: Uint8Array, at: MailLocation): Promise<Verdict> {
      // Mail without the marker (a user put it into the folder) is not ours, whatever its size.
      if (!isNotificationEmail(raw)) return 'skip';
      let seen: { key: string; expiresAt: number } | undefined;
      try {
        const received = await parseNotificationEmail(raw, {
          deviceIdentity: context.identity,
          pinnedSenderKey: (registrationId) => state.pinnedSenderKey(registrationId),
          // A hello for a registration this device does not have must not pin anything.
          pinSenderKey: async (registrationId, key) => {
            if (!context.registrations.has(registrationId)) return;
            await state.pinSenderKey(registrationId, key);
            pins++;
          },
          // Only checked here; the ledger records it when the host acks (see ledger.ts).
          markSeen: async (key, expiresAt) => {
            if (ledger.isSeen(key) || inFlight.has(key)) return false;
            seen = { key, expiresAt };
            return true;
          },
          runtime,
        });
        if (!context.registrations.has(received.registrationId)) {
          emitter.emit(
            'error',
            located(new FosspushError('NOT_FOUND', `a notification for registration ${received.registrationId}, which this device does not have`), at),
          );
          return 'delete';
        }
        waitingSince.delete(`${at.uidValidity}:${at.uid}`);
        if (seen === undefined) throw new FosspushError('INTERNAL', 'the notification parser accepted a mail without checking its id');
        inFlight.set(seen.key, { ...at, expiresAt: seen.expiresAt, handedOnAt: runtime.clock.now() });
        emitter.emit('message', { registrationId: received.registrationId, message: received.message });
        return 'delivered';
      } catch (error) {
        if (isFosspushError(error, 'NOT_A_NOTIFICATION')) return 'skip';
        if (isFosspushError(error) && FOR_ANOTHER_RECEIVER.has(String(error.details['reason']))) return 'skip';
        if (mayWait(error, at)) return 'defer';
        emitter.emit('error', located(toFosspushError(error), at));
        return 'quarantine';
      }
    },

    /** The host stored the message: record it and let the session expunge the mail. False if nothing was in flight. */
    async ack(registrationId: string, messageId: string): Promise<boolean> {
      const key = notificationSeenKey(registrationId, messageId);
      const entry = inFlight.get(key);
      if (entry === undefined) return false;
      // The ledger takes the mail over before it leaves the in-flight set, so a drain running
      // meanwhile finds it in one or the other and never reads it again as a replay of itself.
      const stored = ledger.recordAck({ seenKey: key, expiresAt: entry.expiresAt, uidValidity: entry.uidValidity, uid: entry.uid });
      inFlight.delete(key);
      await stored;
      return true;
    },
  };
}

export type Receiver = ReturnType<typeof createReceiver>;
