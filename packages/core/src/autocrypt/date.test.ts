import { describe, expect, it } from 'vitest';
import { formatRfc5322Date, parseRfc5322Date } from './date.js';

describe('RFC 5322 dates', () => {
  it('formats in UTC and parses back', () => {
    const ms = Date.parse('2026-01-01T00:00:10Z');
    expect(formatRfc5322Date(ms)).toBe('Thu, 01 Jan 2026 00:00:10 +0000');
    expect(parseRfc5322Date(formatRfc5322Date(ms))).toBe(ms);
  });

  it('applies zone offsets, obsolete zone names and two-digit years', () => {
    expect(parseRfc5322Date('Tue, 07 Nov 2017 14:53:50 +0100')).toBe(Date.parse('2017-11-07T13:53:50Z'));
    expect(parseRfc5322Date('7 Nov 2017 08:53 EST')).toBe(Date.parse('2017-11-07T13:53:00Z'));
    expect(parseRfc5322Date('Tue, 7 Nov 17 13:53:50 GMT')).toBe(Date.parse('2017-11-07T13:53:50Z'));
    expect(parseRfc5322Date('Tue, 07 Nov 2017 13:53:50 +0000 (UTC)')).toBe(Date.parse('2017-11-07T13:53:50Z'));
  });

  it('returns undefined for anything that is not a date', () => {
    for (const value of ['', 'yesterday', '31 Feb 2026 00:00:00 +0000', '01 Foo 2026 00:00:00 +0000', '01 Jan 2026 25:00:00 +0000', '01 Jan 2026 00:00:00 +0099']) {
      expect(parseRfc5322Date(value), value).toBeUndefined();
    }
  });
});
