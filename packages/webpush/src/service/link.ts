/** Link relations of RFC 8030 section 9.1 (and the set relation of section 4.1). */
export const PUSH_LINK_RELATIONS = {
  /** The push resource an application server posts messages to. */
  push: 'urn:ietf:params:push',
  /** The subscription set a subscription belongs to; one device stream carries the whole set. */
  set: 'urn:ietf:params:push:set',
  receipt: 'urn:ietf:params:push:receipt',
} as const;

export interface LinkValue {
  uri: string;
  /** The `rel` parameter's space-separated relation types, as written. */
  rel: string[];
}

// One link-value of RFC 8288: <uri> followed by `; name=value` parameters, value quoted or not.
const LINK_VALUE = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,\s]*))?)*)/g;
const PARAMETER = /;\s*([^;,=\s]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*)))?/g;

/**
 * Parses a `Link` header (RFC 8288) into its link-values; anything that is not a link-value is
 * skipped. Repeated Link fields joined with `, ` parse the same as one field.
 *
 * @example
 * parseLinkHeader('</p/abc>; rel="urn:ietf:params:push"'); // [{ uri: '/p/abc', rel: ['urn:ietf:params:push'] }]
 */
export function parseLinkHeader(value: string): LinkValue[] {
  const links: LinkValue[] = [];
  for (const match of value.matchAll(LINK_VALUE)) {
    const rel: string[] = [];
    for (const parameter of (match[2] ?? '').matchAll(PARAMETER)) {
      if (parameter[1]?.toLowerCase() !== 'rel') continue;
      const relValue = parameter[2]?.replace(/\\(.)/g, '$1') ?? parameter[3] ?? '';
      rel.push(...relValue.split(/\s+/).filter(Boolean));
      break; // RFC 8288 section 3.3: only the first rel parameter counts.
    }
    links.push({ uri: match[1] ?? '', rel });
  }
  return links;
}

/** The target of the first link with the given relation type, if any. */
export function findLink(value: string | undefined, rel: string): string | undefined {
  if (value === undefined) return undefined;
  return parseLinkHeader(value).find((link) => link.rel.includes(rel))?.uri;
}

export function formatLink(uri: string, rel: string): string {
  return `<${uri}>; rel="${rel}"`;
}
