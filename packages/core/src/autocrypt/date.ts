const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** RFC 5322 section 4.3 obsolete zone names; military letters mean "unknown", i.e. -0000. */
const ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
const DATE_PATTERN =
  /^(?:[A-Za-z]{3}\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|[A-Za-z]{1,3})$/;

/**
 * Parses an RFC 5322 `Date` field (including the obsolete forms section 4.3 requires readers
 * to accept) into milliseconds since the epoch; undefined when it is not a date.
 */
export function parseRfc5322Date(value: string): number | undefined {
  const match = DATE_PATTERN.exec(value.replace(/\([^()]*\)/g, ' ').trim());
  if (!match) return undefined;
  const part = (index: number) => match[index] ?? '';
  const day = Number(part(1));
  const month = MONTHS.indexOf(part(2).toLowerCase());
  const yearText = part(3);
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText.length === 3) year += 1900;
  const hour = Number(part(4));
  const minute = Number(part(5));
  const second = part(6) === '' ? 0 : Number(part(6));
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const offsetMinutes = zoneOffsetMinutes(part(7));
  if (offsetMinutes === undefined) return undefined;
  const utc = Date.UTC(year, month, day, hour, minute, second);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return utc - offsetMinutes * 60_000;
}

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone.startsWith('+') || zone.startsWith('-')) {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    if (minutes > 59) return undefined;
    return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const named = ZONES[zone.toLowerCase()];
  if (named !== undefined) return named;
  return zone.length === 1 ? 0 : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `Thu, 01 Jan 2026 00:00:00 +0000`: RFC 5322 date-time in UTC, without milliseconds. */
export function formatRfc5322Date(ms: number): string {
  const d = new Date(ms);
  const month = MONTHS[d.getUTCMonth()] as string;
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${month.charAt(0).toUpperCase()}${month.slice(1)} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
