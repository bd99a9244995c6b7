import { FosspushError } from '@fosspush/core';

/** FCM's topic name pattern; `/topics/` in front is accepted and dropped, as firebase-admin does. */
const TOPIC_NAME = /^[a-zA-Z0-9\-_.~%]+$/;

/** FCM allows at most five topics in one condition. */
export const MAX_CONDITION_TOPICS = 5;

/** A parsed condition: a topic test, a negation, or `&&` / `||` of two conditions. */
export type Condition =
  | { kind: 'topic'; topic: string }
  | { kind: 'not'; operand: Condition }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

function invalidTopic(message: string, field: string): FosspushError {
  return new FosspushError('INVALID_TOPIC', message, { details: { field } });
}

/**
 * A topic name as FCM stores it: without `/topics/`, and only FCM's characters. A name that
 * FCM would refuse is refused here, so a topic never holds members no FCM code could address.
 *
 * @example
 * normalizeTopic('/topics/news'); // 'news'
 */
export function normalizeTopic(topic: unknown, field = 'topic'): string {
  if (typeof topic !== 'string') throw invalidTopic(`${field} must be a string`, field);
  const name = topic.startsWith('/topics/') ? topic.slice('/topics/'.length) : topic;
  if (!TOPIC_NAME.test(name)) throw invalidTopic(`${field} "${topic}" must match [a-zA-Z0-9-_.~%]+`, field);
  return name;
}

type Token = { kind: 'topic'; topic: string } | { kind: '&&' | '||' | '!' | '(' | ')' };

const TOKEN = /\s*(?:(&&|\|\||!|\(|\))|'([^']*)'\s+in\s+topics\b|"([^"]*)"\s+in\s+topics\b)/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) throw invalidTopic(`condition has unexpected text at character ${at}: "${source.slice(at, at + 20)}"`, 'condition');
    const quoted = match[2] ?? match[3];
    if (quoted !== undefined) tokens.push({ kind: 'topic', topic: normalizeTopic(quoted, 'condition') });
    else tokens.push({ kind: match[1] as '&&' | '||' | '!' | '(' | ')' });
  }
  return tokens;
}

/**
 * Parses FCM's condition grammar: `'a' in topics`, `!`, `&&` binding tighter than `||`,
 * parentheses, at most five topics. Anything else is INVALID_TOPIC (firebase-admin's
 * `messaging/invalid-argument`).
 *
 * @example
 * parseCondition("'a' in topics && ('b' in topics || 'c' in topics)");
 */
export function parseCondition(source: unknown): Condition {
  if (typeof source !== 'string' || source.trim() === '') throw invalidTopic('condition must be a non-empty string', 'condition');
  const tokens = tokenize(source);
  const topicCount = tokens.filter((token) => token.kind === 'topic').length;
  if (topicCount > MAX_CONDITION_TOPICS) throw invalidTopic(`condition names ${topicCount} topics, at most ${MAX_CONDITION_TOPICS} are allowed`, 'condition');
  let position = 0;
  const peek = () => tokens[position]?.kind;
  const expect = (kind: Token['kind']) => {
    if (peek() !== kind) throw invalidTopic(`condition expects ${kind} at token ${position + 1}`, 'condition');
    position++;
  };
  function primary(): Condition {
    const token = tokens[position];
    if (token?.kind === 'topic') {
      position++;
      return { kind: 'topic', topic: token.topic };
    }
    if (token?.kind === '!') {
      position++;
      return { kind: 'not', operand: primary() };
    }
    expect('(');
    const inner = disjunction();
    expect(')');
    return inner;
  }
  function conjunction(): Condition {
    let left = primary();
    while (peek() === '&&') {
      position++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  }
  function disjunction(): Condition {
    let left = conjunction();
    while (peek() === '||') {
      position++;
      left = { kind: 'or', left, right: conjunction() };
    }
    return left;
  }
  const condition = disjunction();
  if (position !== tokens.length) throw invalidTopic(`condition has unexpected ${String(peek())} at token ${position + 1}`, 'condition');
  return condition;
}

/** The distinct topics a condition names. */
export function conditionTopics(condition: Condition): string[] {
  const topics = new Set<string>();
  const visit = (node: Condition): void => {
    if (node.kind === 'topic') topics.add(node.topic);
    else if (node.kind === 'not') visit(node.operand);
    else {
      visit(node.left);
      visit(node.right);
    }
  };
  visit(condition);
  return [...topics];
}

/**
 * Whether a device with these topics matches. Over the members of the named topics this is
 * the set algebra: `&&` intersects, `||` unites, `!` subtracts.
 */
export function matchesCondition(condition: Condition, memberOf: (topic: string) => boolean): boolean {
  switch (condition.kind) {
    case 'topic':
      return memberOf(condition.topic);
    case 'not':
      return !matchesCondition(condition.operand, memberOf);
    case 'and':
      return matchesCondition(condition.left, memberOf) && matchesCondition(condition.right, memberOf);
    case 'or':
      return matchesCondition(condition.left, memberOf) || matchesCondition(condition.right, memberOf);
  }
}
