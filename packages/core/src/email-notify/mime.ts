import { FosspushError } from '../errors.js';
import { EMAIL_NOTIFY_LIMITS } from './constants.js';

/** One header field: its name as written and its value with folding removed. */
export interface MimeHeaderField {
  readonly name: string;
  readonly value: string;
  /** The value as written, folding line breaks (as CRLF) included: for limits that count them. */
  readonly raw: string;
}

export interface MimeHeaderSection {
  readonly fields: readonly MimeHeaderField[];
  /** Offset of the body: just after the empty line that ends the header section. */
  readonly bodyOffset: number;
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export function malformed(message: string, details: Record<string, unknown> = {}): FosspushError {
  return new FosspushError('MALFORMED_EMAIL', message, { details });
}

/**
 * Maps bytes one-to-one onto UTF-16 code units (Latin-1): the outer message is 7-bit, and this
 * never fails, so hostile bytes reach the strict checks below instead of a decoder error.
 */
export function bytesToLatin1(bytes: Uint8Array): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 8192) {
    text += String.fromCharCode(...bytes.subarray(offset, offset + 8192));
  }
  return text;
}

/** Whether text holds only printable ASCII, tab, CR and LF: what 7-bit MIME text may contain. */
export function isSevenBitText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e || (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d)) return false;
  }
  return true;
}

/** Where the header section ends: the first empty line (CRLF or bare LF line endings). */
export function headerSectionEnd(text: string): { end: number; bodyOffset: number } | undefined {
  if (text.startsWith('\r\n')) return { end: 0, bodyOffset: 2 };
  if (text.startsWith('\n')) return { end: 0, bodyOffset: 1 };
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  if (lf < 0 || (crlf >= 0 && crlf + 1 <= lf)) return { end: crlf, bodyOffset: crlf + 4 };
  return { end: lf, bodyOffset: lf + 2 };
}

/**
 * Reads an RFC 5322 header section strictly: every line is a field or a continuation of one,
 * field names are printable ASCII without colon, and the count is bounded. A message that is
 * all header (no empty line) is malformed here: every MIME entity this spec reads has a body.
 */
export function parseHeaderSection(text: string): MimeHeaderSection {
  const bounds = headerSectionEnd(text);
  if (bounds === undefined) throw malformed('the header section never ends (no empty line)');
  const fields: { name: string; raw: string }[] = [];
  const lines = text.slice(0, bounds.end).split(/\r?\n/);
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields[fields.length - 1];
      if (last === undefined) throw malformed('the header section starts with a continuation line');
      last.raw += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!FIELD_NAME.test(name)) throw malformed('a header line is not a field', { line: line.slice(0, 40) });
    if (fields.length >= EMAIL_NOTIFY_LIMITS.maxHeaderFields) throw malformed(`more than ${EMAIL_NOTIFY_LIMITS.maxHeaderFields} header fields`);
    fields.push({ name, raw: line.slice(colon + 1) });
  }
  return {
    fields: fields.map(({ name, raw }) => ({ name, raw, value: raw.replace(/\r\n/g, '').trim() })),
    bodyOffset: bounds.bodyOffset,
  };
}

/** Every value of the fields called `name` (case-insensitive). */
export function fieldValues(fields: readonly MimeHeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((field) => field.name.toLowerCase() === lower).map((field) => field.value);
}

/** The value of a field that must occur at most once; undefined when absent. */
export function singleField(fields: readonly MimeHeaderField[], name: string): string | undefined {
  const values = fieldValues(fields, name);
  if (values.length > 1) throw malformed(`${name} occurs ${values.length} times`, { field: name });
  return values[0];
}

export interface ContentType {
  /** `type/subtype`, lower-case. */
  readonly mediaType: string;
  /** Parameter names lower-case; values unquoted. */
  readonly parameters: ReadonlyMap<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})`);
const PARAMETER = new RegExp(`^;\\s*(${TOKEN})\\s*=\\s*(?:(${TOKEN})|"((?:[^"\\\\\\r\\n]|\\\\.)*)")\\s*`);

/** Parses a `Content-Type` value (RFC 2045 section 5.1); RFC 2231 continuations are not needed here. */
export function parseContentType(value: string): ContentType {
  const media = MEDIA_TYPE.exec(value);
  if (!media) throw malformed('Content-Type has no type/subtype', { field: 'Content-Type' });
  const parameters = new Map<string, string>();
  let rest = value.slice(media[0].length).trim();
  while (rest !== '') {
    if (rest === ';') break;
    const parameter = PARAMETER.exec(rest);
    if (!parameter) throw malformed('Content-Type has a malformed parameter', { field: 'Content-Type' });
    const name = (parameter[1] as string).toLowerCase();
    if (parameters.has(name)) throw malformed(`Content-Type repeats the ${name} parameter`, { field: 'Content-Type' });
    parameters.set(name, parameter[2] ?? (parameter[3] ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(parameter[0].length);
  }
  return { mediaType: `${media[1]}/${media[2]}`.toLowerCase(), parameters };
}

/** RFC 2046 section 5.1.1: 1 to 70 characters from a restricted set, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * The body parts of a multipart body, without preamble and epilogue. The closing delimiter is
 * required: a truncated message is malformed, not shorter.
 */
export function splitMultipart(body: string, boundary: string): string[] {
  if (!BOUNDARY.test(boundary)) throw malformed('the multipart boundary is not valid', { field: 'boundary' });
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let partStart: number | undefined;
  let position = 0;
  while (position <= body.length) {
    const next = body.indexOf('\n', position);
    const lineEnd = next < 0 ? body.length : next;
    const line = body.slice(position, lineEnd).replace(/\r$/, '').replace(/[ \t]+$/, '');
    if (line === delimiter || line === `${delimiter}--`) {
      if (partStart !== undefined) {
        // The line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
        let partEnd = position;
        if (body.charAt(partEnd - 1) === '\n') partEnd--;
        if (body.charAt(partEnd - 1) === '\r') partEnd--;
        parts.push(body.slice(partStart, Math.max(partStart, partEnd)));
      }
      if (line !== delimiter) return parts;
      partStart = next < 0 ? body.length : next + 1;
    }
    if (next < 0) break;
    position = next + 1;
  }
  throw malformed('the multipart body has no closing delimiter');
}
