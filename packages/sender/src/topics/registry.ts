import { createHash } from 'node:crypto';
import { FosspushError, type Registration, resolveRuntime, type Runtime, type Store, toFosspushError } from '@fosspush/core';
import { type Recipient, resolveRecipient } from '../recipient.js';
import { type Condition, conditionTopics, matchesCondition, normalizeTopic, parseCondition } from './condition.js';
import { openTopicStore, type TopicStoreOption } from './store.js';

/** firebase-admin refuses more than 1000 tokens in one subscribeToTopic call; so do we. */
export const MAX_TOPIC_MANAGEMENT_TOKENS = 1000;

/** Per token of a subscribe or unsubscribe call: done, or why not. */
export type MembershipOutcome = { ok: true } | { ok: false; error: FosspushError };

/** What a message is addressed to when it is not a token. */
export type TopicTarget = { topic: string } | { condition: string };

/**
 * Topic membership over a core `Store`, with no storage layer of its own. Each membership is
 * two registrations: one owned by the topic (so "members of t" is one owner query) holding
 * the token, and one owned by the token (so "every topic of this token", needed when it
 * comes back NotRegistered, is one owner query too) holding the topic name.
 */
export interface TopicRegistry {
  subscribe(tokens: readonly Recipient[], topic: string): Promise<MembershipOutcome[]>;
  unsubscribe(tokens: readonly Recipient[], topic: string): Promise<MembershipOutcome[]>;
  /** The tokens a topic or condition reaches, each once. */
  resolve(target: TopicTarget): Promise<string[]>;
  /** Removes a token from every topic (it came back NotRegistered). */
  forget(token: string): Promise<void>;
  close(): Promise<void>;
}

/** A recipient as membership stores it: the token string, or a PushSubscription as JSON. */
function tokenText(token: Recipient): string {
  return typeof token === 'string' ? token : JSON.stringify(token);
}

/** Ids stay short and fixed-length whatever the token's length (a PushSubscription is long). */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 32);
}

const topicOwner = (topic: string) => `fosspush-topic:${topic}`;
const tokenOwner = (key: string) => `fosspush-topic-member:${key}`;
const memberId = (topic: string, key: string) => `fosspush-topic:${topic}:${key}`;
const backlinkId = (topic: string, key: string) => `fosspush-topic-member:${key}:${topic}`;

/**
 * Reads the target once: a bad topic name or condition throws INVALID_TOPIC before any
 * store call.
 */
export function readTopicTarget(target: TopicTarget): { topics: string[]; condition?: Condition } {
  if ('topic' in target) return { topics: [normalizeTopic(target.topic)] };
  const condition = parseCondition(target.condition);
  return { topics: conditionTopics(condition), condition };
}

export function createTopicRegistry(option: TopicStoreOption | undefined, runtimeOption?: Partial<Runtime>): TopicRegistry {
  const runtime = resolveRuntime(runtimeOption);
  let opened: ReturnType<typeof openTopicStore> | undefined;
  const store = async (): Promise<Store> => {
    opened ??= openTopicStore(option, runtime);
    return (await opened).store;
  };

  async function eachToken(tokens: readonly Recipient[], topic: string, change: (store: Store, token: string, key: string, name: string) => Promise<void>) {
    if (!Array.isArray(tokens) || tokens.length === 0) {
      throw new FosspushError('INVALID_MESSAGE', 'tokens must be a non-empty array', { details: { field: 'tokens' } });
    }
    if (tokens.length > MAX_TOPIC_MANAGEMENT_TOKENS) {
      throw new FosspushError('INVALID_MESSAGE', `at most ${MAX_TOPIC_MANAGEMENT_TOKENS} tokens per call, got ${tokens.length}`, {
        details: { field: 'tokens' },
      });
    }
    const name = normalizeTopic(topic);
    const target = await store();
    const outcomes: MembershipOutcome[] = [];
    for (const token of tokens) {
      try {
        resolveRecipient(token);
        const text = tokenText(token);
        await change(target, text, tokenKey(text), name);
        outcomes.push({ ok: true });
      } catch (error) {
        outcomes.push({ ok: false, error: toFosspushError(error) });
      }
    }
    return outcomes;
  }

  async function members(target: Store, topic: string): Promise<Registration[]> {
    return target.listRegistrations(topicOwner(topic));
  }

  return {
    subscribe: (tokens, topic) =>
      eachToken(tokens, topic, async (target, token, key, name) => {
        const createdAt = runtime.clock.now();
        await target.putRegistration({ id: memberId(name, key), owner: topicOwner(name), createdAt, data: { token } });
        await target.putRegistration({ id: backlinkId(name, key), owner: tokenOwner(key), createdAt, data: { topic: name } });
      }),
    unsubscribe: (tokens, topic) =>
      eachToken(tokens, topic, async (target, _token, key, name) => {
        await target.deleteRegistration(memberId(name, key));
        await target.deleteRegistration(backlinkId(name, key));
      }),
    async resolve(target) {
      const { topics, condition } = readTopicTarget(target);
      const source = await store();
      const memberSets = await Promise.all(topics.map(async (topic) => new Map((await members(source, topic)).map((r) => [r.data['token'] ?? '', topic]))));
      const byTopic = new Map(topics.map((topic, index) => [topic, memberSets[index] as Map<string, string>]));
      if (!condition) return [...(memberSets[0]?.keys() ?? [])];
      const everyone = new Set<string>();
      for (const set of memberSets) for (const token of set.keys()) everyone.add(token);
      return [...everyone].filter((token) => matchesCondition(condition, (topic) => byTopic.get(topic)?.has(token) === true));
    },
    async forget(token) {
      const target = await store();
      const key = tokenKey(token);
      for (const link of await target.listRegistrations(tokenOwner(key))) {
        const topic = link.data['topic'];
        if (topic !== undefined) await target.deleteRegistration(memberId(topic, key));
        await target.deleteRegistration(link.id);
      }
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
