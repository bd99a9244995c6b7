/**
 * A strict reader of one HTTP/1.1 request head (RFC 9112), for the one request the raw push
 * path serves: `POST <base>/p/<pushId> HTTP/1.1` with a single Content-Length. Anything else,
 * and anything it is not sure of, is handed to Node's HTTP server, from the first byte of that
 * request: it never has to refuse, so it never has to be as complete as llhttp, only never
 * accept what llhttp would read differently (the differential test holds it to that).
 */

/** The first bytes of every request this path serves. */
const PREFIX = Buffer.from('POST ', 'latin1');
const VERSION = Buffer.from(' HTTP/1.1', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** RFC 9110 tchar: what a field name is made of. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Field value bytes accepted here: visible ASCII, space and tab. obs-text and controls hand over. */
function isValueByte(byte: number): boolean {
  return (byte >= SP && byte < 0x7f) || byte === HTAB;
}

/** A push id as the router matches it and a capability has it: 22 base64url characters. */
const PUSH_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Fields whose presence means a request this path does not serve: another framing, a request
 * that waits for an interim answer, a protocol switch. `__proto__` would not survive as a key.
 */
const HANDED_OVER_FIELDS = new Set(['transfer-encoding', 'expect', 'upgrade', '__proto__']);

/** Headers of one request: more means an unusual client, which Node serves. */
const MAX_FIELDS = 64;

export interface PushHeadLimits {
  /** The public URL's path ('' for none); `/p/<id>` is served with and without it, as the router does. */
  basePath: string;
  /** A head longer than this is handed over (Node answers 431 past its own limit). */
  maxHeadBytes: number;
  /** A declared body longer than this is handed over (Node's path answers 413 and closes). */
  maxBodyBytes: number;
}

/** A push request head read in full. */
export class PushHead {
  constructor(
    readonly target: string,
    readonly pushId: string,
    /** Lower-case names, values without surrounding whitespace: as Node's `IncomingMessage.headers`. */
    readonly headers: Readonly<Record<string, string>>,
    /** Bytes of the request line and the header section, the empty line included. */
    readonly headLength: number,
    readonly bodyLength: number,
  ) {}

  /** Fetch `Headers` style, which the service's header reading looks up directly. */
  get(name: string): string | null {
    return this.headers[name.toLowerCase()] ?? null;
  }
}

/** The bytes so far are a valid start of a push request: wait for more. */
export const NEED_MORE = 'need-more';
/** Node's HTTP server serves this request, from its first byte. */
export const HAND_OVER = 'hand-over';

export type HeadReading = PushHead | typeof NEED_MORE | typeof HAND_OVER;

/**
 * Reads the request head that starts at `start` in `buffer` (which may hold only part of it,
 * or several requests).
 *
 * @example
 * const head = readPushHead(buffer, 0, { basePath: '', maxHeadBytes: 4096, maxBodyBytes: 4096 });
 * if (head instanceof PushHead) body = buffer.subarray(head.headLength, head.headLength + head.bodyLength);
 */
export function readPushHead(buffer: Buffer, start: number, limits: PushHeadLimits): HeadReading {
  const end = Math.min(buffer.length, start + limits.maxHeadBytes);
  for (let i = 0; i < PREFIX.length && start + i < buffer.length; i++) {
    if (buffer[start + i] !== PREFIX[i]) return HAND_OVER;
  }
  let lineEnd = buffer.indexOf(LF, start);
  if (lineEnd < 0 || lineEnd >= end) return partial(buffer, start, start, end);
  if (buffer[lineEnd - 1] !== CR) return HAND_OVER;
  const pushId = readRequestLine(buffer, start, lineEnd - 1, limits.basePath);
  if (pushId === undefined) return HAND_OVER;
  const target = buffer.toString('latin1', start + PREFIX.length, lineEnd - 1 - VERSION.length);

  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let fields = 0;
  let bodyLength = -1;
  let hasHost = false;
  for (let lineStart = lineEnd + 1; ; lineStart = lineEnd + 1) {
    lineEnd = buffer.indexOf(LF, lineStart);
    if (lineEnd < 0 || lineEnd >= end) return partial(buffer, start, lineStart, end);
    const contentEnd = lineEnd - 1;
    if (contentEnd < lineStart || buffer[contentEnd] !== CR) return HAND_OVER;
    if (contentEnd === lineStart) {
      if (bodyLength < 0 || !hasHost) return HAND_OVER;
      return new PushHead(target, pushId, headers, lineEnd + 1 - start, bodyLength);
    }
    if (++fields > MAX_FIELDS) return HAND_OVER;
    const colon = readFieldName(buffer, lineStart, contentEnd);
    if (colon < 0) return HAND_OVER;
    let valueStart = colon + 1;
    let valueEnd = contentEnd;
    while (valueStart < valueEnd && (buffer[valueStart] === SP || buffer[valueStart] === HTAB)) valueStart++;
    while (valueEnd > valueStart && (buffer[valueEnd - 1] === SP || buffer[valueEnd - 1] === HTAB)) valueEnd--;
    for (let i = valueStart; i < valueEnd; i++) if (!isValueByte(buffer[i] as number)) return HAND_OVER;
    const name = buffer.toString('latin1', lineStart, colon).toLowerCase();
    if (headers[name] !== undefined || HANDED_OVER_FIELDS.has(name)) return HAND_OVER;
    const value = buffer.toString('latin1', valueStart, valueEnd);
    if (name === 'content-length') {
      bodyLength = readContentLength(value, limits.maxBodyBytes);
      if (bodyLength < 0) return HAND_OVER;
    } else if (name === 'connection') {
      // keep-alive is HTTP/1.1's default; close, upgrade or any other option is Node's to honour.
      if (value.toLowerCase() !== 'keep-alive') return HAND_OVER;
    } else if (name === 'host') {
      hasHost = true;
    }
    headers[name] = value;
  }
}

/**
 * The push id of `POST <target> HTTP/1.1` (the line between `from` and its CR at `to`), or
 * undefined unless the target is exactly `/p/<id>` or `<basePath>/p/<id>`.
 */
function readRequestLine(buffer: Buffer, from: number, to: number, basePath: string): string | undefined {
  const targetStart = from + PREFIX.length;
  const targetEnd = to - VERSION.length;
  if (targetEnd <= targetStart || buffer.compare(VERSION, 0, VERSION.length, targetEnd, to) !== 0) return undefined;
  for (let i = targetStart; i < targetEnd; i++) {
    const byte = buffer[i] as number;
    if (byte <= SP || byte >= 0x7f) return undefined;
  }
  let path = buffer.toString('latin1', targetStart, targetEnd);
  if (basePath !== '' && path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
  if (!path.startsWith('/p/')) return undefined;
  const pushId = path.slice(3);
  return PUSH_ID.test(pushId) ? pushId : undefined;
}

/** The colon that ends a field name made of tchar only (no space before the colon), or -1. */
function readFieldName(buffer: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && TCHAR[buffer[i] as number] === 1) i++;
  return i > from && i < to && buffer[i] === COLON ? i : -1;
}

/** 1 to 9 digits, at most `max`; -1 for anything else (a list, a sign, a huge number). */
function readContentLength(value: string, max: number): number {
  if (value.length === 0 || value.length > 9) return -1;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return -1;
  }
  const length = Number(value);
  return length <= max ? length : -1;
}

/**
 * An incomplete head: wait for more only while every byte so far could still be part of a
 * push request. A bare CR or LF, a control character, a folded line or a head past the limit
 * hands over at once, so Node refuses it as it would have at once.
 */
function partial(buffer: Buffer, start: number, lineStart: number, end: number): HeadReading {
  if (buffer.length > end) return HAND_OVER;
  if (lineStart === start) {
    // The request line so far: printable bytes (its two spaces included), a CR only last.
    for (let i = start; i < end; i++) {
      const byte = buffer[i] as number;
      if (!((byte >= SP && byte < 0x7f) || (byte === CR && i === end - 1))) return HAND_OVER;
    }
    return NEED_MORE;
  }
  let inName = true;
  for (let i = lineStart; i < end; i++) {
    const byte = buffer[i] as number;
    if (byte === CR && i === end - 1) break;
    if (inName) {
      if (byte === COLON && i > lineStart) inName = false;
      else if (TCHAR[byte] !== 1) return HAND_OVER;
    } else if (!isValueByte(byte)) {
      return HAND_OVER;
    }
  }
  return NEED_MORE;
}
