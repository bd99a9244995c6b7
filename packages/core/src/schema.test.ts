import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { FosspushError } from './errors.js';
import { parseWithSchema, record, type SchemaRefusal } from './schema.js';

const name = v.pipe(v.string('must be a name'), v.minLength(1, 'must be a name'));
const config = record(
  {
    id: name,
    note: v.optional(name),
    keys: record({ p256dh: name }, 'must be an object'),
    list: v.optional(v.array(name, 'must be a list')),
  },
  'must hold an object',
  'is not a known setting',
);

function refusal(input: unknown, options: SchemaRefusal): unknown {
  try {
    parseWithSchema(config, input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(FosspushError);
    const { code, message, details } = error as FosspushError;
    return { code, message, details };
  }
  return 'accepted';
}

const byPath: SchemaRefusal = { code: 'INVALID_REQUEST', field: 'path', root: 'config' };

describe('parseWithSchema', () => {
  it('returns the output: undeclared members of a lenient record are dropped, absent optional ones stay absent', () => {
    expect(parseWithSchema(config, { id: 'a', keys: { p256dh: 'k', extra: 1 } }, byPath)).toEqual({ id: 'a', keys: { p256dh: 'k' } });
    expect(Object.keys(parseWithSchema(config, { id: 'a', keys: { p256dh: 'k' } }, byPath))).toEqual(['id', 'keys']);
  });

  it('names the field by its whole path, or from its own key on, in the message and in details', () => {
    const input = { id: 'a', keys: { p256dh: 'k' }, list: ['x', ''] };
    expect(refusal(input, byPath)).toEqual({ code: 'INVALID_REQUEST', message: 'list[1] must be a name', details: { field: 'list[1]' } });
    const nested = { id: 'a', keys: { p256dh: 7 } };
    expect(refusal(nested, byPath)).toMatchObject({ message: 'keys.p256dh must be a name', details: { field: 'keys.p256dh' } });
    expect(refusal(nested, { code: 'PROTOCOL_ERROR', field: 'key' })).toEqual({ code: 'PROTOCOL_ERROR', message: 'p256dh must be a name', details: { field: 'p256dh' } });
    expect(refusal(nested, { code: 'PROTOCOL_ERROR', field: 'none' })).toEqual({ code: 'PROTOCOL_ERROR', message: 'must be a name', details: {} });
  });

  it("gives an absent required member the member's own message, and refuses arrays and null as objects", () => {
    expect(refusal({ keys: { p256dh: 'k' } }, byPath)).toMatchObject({ message: 'id must be a name', details: { field: 'id' } });
    expect(refusal({ id: 'a' }, byPath)).toMatchObject({ message: 'keys must be an object' });
    expect(refusal({ id: 'a', keys: [] }, byPath)).toMatchObject({ message: 'keys must be an object' });
    expect(refusal(null, byPath)).toMatchObject({ message: 'config must hold an object', details: { field: 'config' } });
    expect(refusal([], { code: 'INVALID_REQUEST', field: 'path' })).toEqual({ code: 'INVALID_REQUEST', message: 'must hold an object', details: {} });
  });

  it('refuses an unknown member by its key, before anything else', () => {
    expect(refusal({ idd: 'a' }, byPath)).toMatchObject({ message: 'idd is not a known setting', details: { field: 'idd' } });
  });
});
