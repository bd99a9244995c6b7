// Benchmark payloads: the shape of an RFC 8291 body (the server checks it, it cannot decrypt)
// with the sender's monotonic time inside, so the receiving process can compute latency.
// CLOCK_MONOTONIC (process.hrtime) is one clock for every process on a Linux machine; the wall
// clock is not monotonic, and its adjustments once showed up as negative latencies.
import { WEB_PUSH_HEADER_BYTES } from '@fosspush/core';

export const BENCH_PAYLOAD_BYTES = 150;

export function benchPayload(): Buffer {
  const body = Buffer.alloc(BENCH_PAYLOAD_BYTES);
  body.writeUInt32BE(4096, 16);
  body[20] = 65;
  body[21] = 0x04;
  body.writeBigUInt64BE(process.hrtime.bigint(), WEB_PUSH_HEADER_BYTES);
  return body;
}

/** Milliseconds since the payload was made, by the shared monotonic clock. */
export function ageMsOf(payload: Buffer): number {
  return Number(process.hrtime.bigint() - payload.readBigUInt64BE(WEB_PUSH_HEADER_BYTES)) / 1e6;
}
