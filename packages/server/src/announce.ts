import { announce, type Broker, type BrokerEvent, type Logger } from '@fosspush/core';

/** Tells the node holding `owner`'s stream about an event; failures are logged, never thrown. */
export type Announce = (owner: string, event: BrokerEvent) => void;

/**
 * Announcements are best effort: a device that misses one replays from the store. One
 * function per server, with one failure logger, so a broker with a synchronous path
 * (the memory broker) announces a message without a promise or a closure.
 */
export function createAnnounce(broker: Broker, logger: Logger): Announce {
  const failed = (error: unknown, event: BrokerEvent) => logger.warn('announce_failed', { error, ...subjectOf(event) });
  return (owner, event) => announce(broker, owner, event, failed);
}

function subjectOf(event: BrokerEvent): Record<string, string> {
  switch (event.type) {
    case 'message':
      return { messageId: event.message.id };
    case 'ack':
      return { messageId: event.messageId };
    case 'unsubscribed':
      return { registrationId: event.registrationId };
  }
}
