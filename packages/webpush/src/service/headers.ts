/**
 * Request headers as either a fetch `Headers` object or Node's `IncomingHttpHeaders` (lower-case
 * names, repeated fields as arrays), so the service functions work under any HTTP framework.
 */
export type HeaderBag =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

function isFetchHeaders(headers: HeaderBag): headers is { get(name: string): string | null } {
  return typeof (headers as { get?: unknown }).get === 'function';
}

/**
 * One header's value, or undefined when absent. Repeated fields are joined with `, ` as
 * RFC 9110 section 5.3 allows, so a duplicated single-valued field (two TTLs) fails validation
 * instead of one copy silently winning.
 */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (isFetchHeaders(headers)) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === lower);
    value = key === undefined ? undefined : headers[key];
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}
