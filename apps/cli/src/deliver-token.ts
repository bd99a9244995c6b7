import { FosspushError } from '@fosspush/core';
import { Message, Sender } from '@fosspush/sender';

/**
 * Sends GCM-style data to one token as an app server would (the sender SDK encrypts it to the
 * token's keys and posts it), and returns the push service's message id.
 */
export async function sendToToken(sender: Sender, token: string, data: Record<string, string>, ttlSeconds = 3600): Promise<string> {
  const response = await sender.send(new Message({ data, timeToLive: ttlSeconds }), { registrationTokens: [token] }, { retries: 1 });
  const [result] = response.results;
  if (result === undefined) throw new FosspushError('INTERNAL', 'the sender returned no result');
  if ('error' in result) throw new FosspushError('UNAVAILABLE', `the push was refused: ${result.error}`, { details: { gcmError: result.error } });
  return result.message_id;
}
