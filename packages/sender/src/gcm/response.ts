import { type GcmErrorName, type RandomSource, toGcmErrorName } from '@fosspush/core';
import type { SendOutcome } from '../engine.js';

/** One token's result, in GCM's shape. */
export type GcmResult = { message_id: string } | { error: GcmErrorName };

/** GCM's multicast response: `results` are in the order of the tokens sent to. */
export interface GcmResponse {
  multicast_id: number;
  success: number;
  failure: number;
  /** Always 0: a fosspush token never has a canonical replacement. */
  canonical_ids: number;
  results: GcmResult[];
}

export function toGcmResult(outcome: SendOutcome): GcmResult {
  return outcome.ok ? { message_id: outcome.messageId } : { error: toGcmErrorName(outcome.error.code) };
}

/** A positive 53-bit integer, like GCM's multicast ids. */
export function multicastId(random: RandomSource): number {
  const bytes = random.bytes(7);
  let id = 0;
  for (const byte of bytes) id = id * 256 + byte;
  return (id % Number.MAX_SAFE_INTEGER) + 1;
}

export function toGcmResponse(outcomes: readonly SendOutcome[], random: RandomSource): GcmResponse {
  const success = outcomes.filter((outcome) => outcome.ok).length;
  return {
    multicast_id: multicastId(random),
    success,
    failure: outcomes.length - success,
    canonical_ids: 0,
    results: outcomes.map(toGcmResult),
  };
}

/** GCM's answer to a topic or condition send: one id for the whole fan-out. */
export interface GcmTopicResponse {
  message_id: number;
}
