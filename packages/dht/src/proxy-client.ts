import { FosspushError, toFosspushError } from '@fosspush/core';
import { LineSplitter } from './line-splitter.js';
import type { DhtValue } from './value.js';

/** How both halves reach a dhtproxy: its REST API over `fetch`, which every platform has. */
export interface ProxyClientOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** A put or a probe that takes longer fails with TIMEOUT. @default 10000 */
  timeoutMs?: number;
}

function proxyError(status: number, what: string): FosspushError {
  // A 4xx is the proxy refusing this request; anything else may pass if retried.
  if (status >= 400 && status < 500) return new FosspushError('INVALID_REQUEST', `${what}: the DHT proxy refused it (HTTP ${status})`, { details: { status } });
  return new FosspushError('UNAVAILABLE', `${what}: the DHT proxy answered HTTP ${status}`, { details: { status } });
}

function networkError(error: unknown, what: string): FosspushError {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') return new FosspushError('TIMEOUT', `${what}: the DHT proxy did not answer in time`, { cause: error });
  if (name === 'AbortError') return new FosspushError('CLOSED', `${what}: aborted`, { cause: error });
  return new FosspushError('UNAVAILABLE', `${what}: cannot reach the DHT proxy (${(error as Error)?.message ?? String(error)})`, { cause: error });
}

export function keyUrl(proxyUrl: string, infoHash: string): string {
  return `${proxyUrl.replace(/\/+$/, '')}/key/${infoHash}`;
}

/** `GET /`: the proxy's node info. Resolves when the proxy answers. */
export async function probeProxy(proxyUrl: string, options: ProxyClientOptions = {}): Promise<void> {
  const what = `probe ${proxyUrl}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(proxyUrl, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (error) {
    throw networkError(error, what);
  }
  await response.body?.cancel();
  if (!response.ok) throw proxyError(response.status, what);
}

/**
 * `POST /key/{hash}`: puts one value. Resolves `stored` when the DHT confirmed it, `local` when
 * the proxy answered 502: OpenDHT's proxy says so when no other node confirmed the put in time
 * (a node on the path just left, say), but it has kept the value in its own node's storage,
 * where listens still find it. A 4xx is INVALID_REQUEST; other 5xx, network and timeouts are
 * transient errors.
 */
export async function putValue(proxyUrl: string, infoHash: string, value: DhtValue, options: ProxyClientOptions = {}): Promise<'stored' | 'local'> {
  const url = keyUrl(proxyUrl, infoHash);
  const what = `put to ${new URL(url).origin}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw networkError(error, what);
  }
  await response.body?.cancel();
  if (response.status === 502) return 'local';
  if (!response.ok) throw proxyError(response.status, what);
  return 'stored';
}

export interface ListenHandlers {
  /** One parsed NDJSON line: a value, or `{ id, expired: true }` when one expires. */
  value(value: Record<string, unknown>): void;
  /** A line longer than `maxLineLength`, or one that is not a JSON object. */
  garbage(reason: 'oversized' | 'malformed'): void;
}

/**
 * `GET /key/{hash}/listen`: the proxy streams every value under the key as NDJSON, first those
 * already stored, then each new one. Resolves when the stream ends; rejects with a typed error
 * when it cannot be opened or breaks. Abort `signal` to stop listening.
 */
export async function listenValues(
  proxyUrl: string,
  infoHash: string,
  signal: AbortSignal,
  maxLineLength: number,
  handlers: ListenHandlers,
  options: ProxyClientOptions = {},
): Promise<void> {
  const url = `${keyUrl(proxyUrl, infoHash)}/listen`;
  const what = `listen on ${new URL(url).origin}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { signal });
  } catch (error) {
    throw networkError(error, what);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw proxyError(response.status, what);
  }
  const splitter = new LineSplitter(
    maxLineLength,
    (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        handlers.garbage('malformed');
        return;
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) handlers.value(parsed as Record<string, unknown>);
      else handlers.garbage('malformed');
    },
    () => handlers.garbage('oversized'),
  );
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      splitter.push(value);
    }
  } catch (error) {
    throw signal.aborted ? new FosspushError('CLOSED', `${what}: stopped`) : toFosspushError(networkError(error, what));
  } finally {
    reader.releaseLock();
  }
}
