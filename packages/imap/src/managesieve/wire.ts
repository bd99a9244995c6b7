import { FosspushError } from '@fosspush/core';

/** One item of a ManageSieve response line (RFC 5804 section 4). */
export type SieveToken = { kind: 'atom'; value: string } | { kind: 'string'; value: string } | { kind: 'code'; value: string };

export interface SieveResponse {
  /** The lines before the status line (capabilities, script listings, a script's text...). */
  lines: SieveToken[][];
  status: 'OK' | 'NO' | 'BYE';
  /** The response code without its parentheses, e.g. `NONEXISTENT` or `SASL "..."`. */
  code?: string;
  text?: string;
}

/** A server answer bigger than this is not ManageSieve (scripts are small; servers limit them too). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

const protocolError = (message: string) => new FosspushError('PROTOCOL_ERROR', `ManageSieve: ${message}`);

type Parsed = { tokens: SieveToken[]; next: number } | undefined;

/** Parses one response line starting at `start`, literals included; undefined if more bytes are needed. */
function parseLine(buffer: Buffer, start: number): Parsed {
  const tokens: SieveToken[] = [];
  let i = start;
  while (i < buffer.length) {
    const byte = buffer[i] as number;
    if (byte === 0x20) {
      i++;
    } else if (byte === 0x0d || byte === 0x0a) {
      if (byte === 0x0d && i + 1 >= buffer.length) return undefined;
      return { tokens, next: i + (byte === 0x0d && buffer[i + 1] === 0x0a ? 2 : 1) };
    } else if (byte === 0x22) {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= buffer.length) return undefined;
        const c = buffer[j] as number;
        if (c === 0x5c) {
          if (j + 1 >= buffer.length) return undefined;
          value += String.fromCharCode(buffer[j + 1] as number);
          j += 2;
        } else if (c === 0x22) {
          break;
        } else if (c === 0x0d || c === 0x0a) {
          throw protocolError('a quoted string spans lines');
        } else {
          value += String.fromCharCode(c);
          j++;
        }
      }
      tokens.push({ kind: 'string', value: Buffer.from(value, 'latin1').toString('utf8') });
      i = j + 1;
    } else if (byte === 0x7b) {
      const close = buffer.indexOf('}', i);
      if (close < 0) return undefined;
      const size = Number(buffer.subarray(i + 1, close).toString('latin1').replace(/\+$/, ''));
      if (!Number.isSafeInteger(size) || size < 0 || size > MAX_RESPONSE_BYTES) throw protocolError('a literal has an invalid size');
      const eol = buffer.indexOf('\r\n', close);
      if (eol < 0) return undefined;
      const body = eol + 2;
      if (body + size > buffer.length) return undefined;
      tokens.push({ kind: 'string', value: buffer.subarray(body, body + size).toString('utf8') });
      i = body + size;
    } else if (byte === 0x28) {
      let depth = 0;
      let quoted = false;
      let j = i;
      for (; j < buffer.length; j++) {
        const c = buffer[j] as number;
        if (quoted) {
          if (c === 0x5c) j++;
          else if (c === 0x22) quoted = false;
        } else if (c === 0x22) quoted = true;
        else if (c === 0x28) depth++;
        else if (c === 0x29 && --depth === 0) break;
      }
      if (j >= buffer.length) return undefined;
      tokens.push({ kind: 'code', value: buffer.subarray(i + 1, j).toString('utf8') });
      i = j + 1;
    } else {
      let j = i;
      while (j < buffer.length && ![0x20, 0x0d, 0x0a, 0x28].includes(buffer[j] as number)) j++;
      if (j >= buffer.length) return undefined;
      tokens.push({ kind: 'atom', value: buffer.subarray(i, j).toString('latin1') });
      i = j;
    }
  }
  return undefined;
}

const STATUS = new Set(['OK', 'NO', 'BYE']);

/**
 * Reads ManageSieve responses from a byte stream: lines of atoms, quoted strings, literals and
 * response codes, up to a status line (OK, NO or BYE).
 */
export function createResponseReader() {
  let buffer: Buffer = Buffer.alloc(0);
  let failure: FosspushError | undefined;
  let notify: (() => void) | undefined;

  const more = () =>
    new Promise<void>((resolve) => {
      notify = resolve;
    });

  return {
    push(chunk: Buffer) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (buffer.length > MAX_RESPONSE_BYTES) failure ??= protocolError('the response is too large');
      notify?.();
    },
    end(error: FosspushError) {
      failure ??= error;
      notify?.();
    },
    async response(): Promise<SieveResponse> {
      const lines: SieveToken[][] = [];
      for (;;) {
        const parsed = parseLine(buffer, 0);
        if (parsed === undefined) {
          if (failure) throw failure;
          await more();
          continue;
        }
        buffer = buffer.subarray(parsed.next);
        const [first, ...rest] = parsed.tokens;
        if (first?.kind === 'atom' && STATUS.has(first.value.toUpperCase())) {
          const code = rest.find((token) => token.kind === 'code')?.value;
          const text = rest.find((token) => token.kind === 'string')?.value;
          return {
            lines,
            status: first.value.toUpperCase() as SieveResponse['status'],
            code,
            text,
          };
        }
        if (parsed.tokens.length > 0) lines.push(parsed.tokens);
      }
    },
  };
}

/** A string as the client sends it: a non-synchronizing literal, safe for any content (RFC 5804 section 4). */
export function literal(value: string): string {
  return `{${Buffer.byteLength(value, 'utf8')}+}\r\n${value}`;
}

/** A quoted string for short values (names, mechanisms); literals carry anything else. */
export function quoted(value: string): string {
  if (/[\r\n"\\]/.test(value) || Buffer.byteLength(value, 'utf8') > 1024) return literal(value);
  return `"${value}"`;
}
