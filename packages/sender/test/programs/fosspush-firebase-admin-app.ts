// An app server written against firebase-admin 13, as a new user would write it. The test
// keeps a copy, fosspush-firebase-admin-app.ts, that differs only in the import line, and
// both type-check in `pnpm typecheck`; the copy runs against a real fosspush-server.
import type { BatchResponse, Messaging, MessagingTopicManagementResponse } from '@fosspush/sender';

export interface AppRun {
  subscribed: MessagingTopicManagementResponse;
  topicMessageId: string;
  conditionMessageId: string;
  multicast: BatchResponse;
  unsubscribed: MessagingTopicManagementResponse;
}

export async function runApp(messaging: Messaging, tokens: string[]): Promise<AppRun> {
  const [first = '', ...rest] = tokens;
  const subscribed = await messaging.subscribeToTopic(tokens, 'news');
  await messaging.subscribeToTopic(first, '/topics/sport');
  const topicMessageId = await messaging.send({
    topic: 'news',
    data: { kind: 'topic' },
    android: {
      collapseKey: 'breaking news, europe',
      priority: 'high',
      ttl: 600_000,
      directBootOk: true,
      notification: { title: 'Breaking', notificationCount: 3, sticky: false, channelId: 'news' },
    },
    webpush: { notification: { requireInteraction: true, actions: [{ action: 'read', title: 'Read' }] }, fcmOptions: { link: 'https://example.org/a' } },
    apns: { payload: { aps: { badge: 3 } } },
    fcmOptions: { analyticsLabel: 'breaking' },
  });
  const conditionMessageId = await messaging.send({ condition: "'news' in topics && ('sport' in topics || 'weather' in topics)", data: { kind: 'condition' } });
  const multicast = await messaging.sendEachForMulticast({ tokens, data: { kind: 'multicast' } });
  const unsubscribed = await messaging.unsubscribeFromTopic(rest, 'news');
  return { subscribed, topicMessageId, conditionMessageId, multicast, unsubscribed };
}
