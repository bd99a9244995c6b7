import { FosspushError } from '@fosspush/core';

/**
 * Turns what a person typed into GCM-style data (string values only): `key=value` pairs from
 * the command line, a form or JSON object from `curl`, or plain text, which becomes
 * `{ message: text }`.
 */
export function dataFromPairs(pairs: readonly string[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new FosspushError('INVALID_REQUEST', `--data wants key=value, got ${JSON.stringify(pair)}`);
    data[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return data;
}

export function dataFromBody(body: string, contentType: string | undefined): Record<string, string> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const text = body.trim();
  if (type === 'application/json' || (text.startsWith('{') && text.endsWith('}'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FosspushError('INVALID_REQUEST', 'the body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new FosspushError('INVALID_REQUEST', 'send a JSON object of strings, e.g. {"message":"hi"}');
    }
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) data[key] = typeof value === 'string' ? value : JSON.stringify(value);
    return data;
  }
  if (type === 'application/x-www-form-urlencoded' && text.includes('=')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (text.length === 0) throw new FosspushError('INVALID_REQUEST', 'nothing to send: the body is empty');
  return { message: text };
}
