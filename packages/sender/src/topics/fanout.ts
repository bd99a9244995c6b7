import { toGcmErrorName } from '@fosspush/core';
import type { SendOutcome } from '../engine.js';
import { mapBoundedInOrder } from '../pool.js';
import type { TopicRegistry, TopicTarget } from './registry.js';

export interface FanoutResult {
  tokens: string[];
  outcomes: SendOutcome[];
}

/**
 * Sends one message to every token a topic or condition reaches, `concurrency` at a time,
 * through the same per-token path as a multicast. A token that comes back NotRegistered
 * leaves every topic, as FCM drops an unregistered app instance from its topics.
 */
export async function sendToTopicMembers(
  registry: TopicRegistry,
  target: TopicTarget,
  concurrency: number,
  deliver: (token: string) => Promise<SendOutcome>,
): Promise<FanoutResult> {
  const tokens = await registry.resolve(target);
  const outcomes = await mapBoundedInOrder(tokens, concurrency, deliver);
  const gone = tokens.filter((_, index) => {
    const outcome = outcomes[index];
    return outcome !== undefined && !outcome.ok && toGcmErrorName(outcome.error.code) === 'NotRegistered';
  });
  for (const token of gone) await registry.forget(token);
  return { tokens, outcomes };
}

/** Whether a firebase-admin message or node-gcm recipient addresses a topic or condition. */
export function topicTarget(value: object): TopicTarget | undefined {
  if ('topic' in value && value.topic !== undefined) return { topic: value.topic as string };
  if ('condition' in value && value.condition !== undefined) return { condition: value.condition as string };
  if ('to' in value && typeof value.to === 'string' && value.to.startsWith('/topics/')) return { topic: value.to };
  return undefined;
}
