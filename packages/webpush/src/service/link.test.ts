import { describe, expect, it } from 'vitest';
import { findLink, formatLink, parseLinkHeader, PUSH_LINK_RELATIONS } from './link.js';

describe('Link headers', () => {
  it('parses several link-values, quoted and bare rels, and repeated fields joined by commas', () => {
    const header = `</p/abc>; rel="urn:ietf:params:push", <https://x.example/set/s1>;rel=urn:ietf:params:push:set;title="a, b", </r>; rel="urn:ietf:params:push:receipt other"`;
    expect(parseLinkHeader(header)).toEqual([
      { uri: '/p/abc', rel: ['urn:ietf:params:push'] },
      { uri: 'https://x.example/set/s1', rel: ['urn:ietf:params:push:set'] },
      { uri: '/r', rel: ['urn:ietf:params:push:receipt', 'other'] },
    ]);
    expect(findLink(header, PUSH_LINK_RELATIONS.set)).toBe('https://x.example/set/s1');
    expect(findLink(header, 'missing')).toBeUndefined();
    expect(findLink(undefined, PUSH_LINK_RELATIONS.set)).toBeUndefined();
  });

  it('round-trips what it formats', () => {
    const header = [formatLink('/p/1', PUSH_LINK_RELATIONS.push), formatLink('/set/2', PUSH_LINK_RELATIONS.set)].join(', ');
    expect(findLink(header, PUSH_LINK_RELATIONS.push)).toBe('/p/1');
    expect(findLink(header, PUSH_LINK_RELATIONS.set)).toBe('/set/2');
  });

  it('skips junk without throwing', () => {
    expect(parseLinkHeader('no links here; rel=x')).toEqual([]);
  });
});
