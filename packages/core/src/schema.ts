import * as v from 'valibot';
import { FosspushError, type FosspushErrorCode } from './errors.js';

/**
 * Input checked by schemas: the IPC params, the device frames and the daemon config are each
 * declared once as a valibot schema, which is their type (`v.InferOutput`) and their check in
 * one. This module is the one bridge from a schema's first issue to the FosspushError a client
 * has always seen. The schemas' messages say what a field must be (`must be an integer from 1
 * to 500`); the bridge puts the field's name in front and into `details.field`.
 *
 * valibot is bundled into each package's build (scripts/tsup-package.ts): only the few
 * functions used ship, and an install gains no package.
 */

/** How a refused input becomes a FosspushError. */
export interface SchemaRefusal {
  /** The code of every refusal. */
  code: FosspushErrorCode;
  /**
   * How the error names the field an issue is about, in `details.field` and in front of the
   * schema's message (`<field> <message>`): `path` names it whole (`accounts[0].id`), `key` from
   * the innermost object key on (`p256dh` in `keys`, `senderIds[0]`), and `none` names no field
   * and keeps the schema's message as the whole message.
   */
  field: 'path' | 'key' | 'none';
  /** The name of the input itself, for an issue about all of it (`params`). */
  root?: string;
}

function fieldName(path: readonly { key: unknown }[] | undefined, style: 'path' | 'key'): string | undefined {
  let name: string | undefined;
  for (const { key } of path ?? []) {
    if (typeof key === 'number') name = `${name ?? ''}[${key}]`;
    else if (style === 'key' || name === undefined) name = String(key);
    else name = `${name}.${String(key)}`;
  }
  return name;
}

function refusalOf(issue: v.BaseIssue<unknown>, refusal: SchemaRefusal): FosspushError {
  const field = refusal.field === 'none' ? undefined : (fieldName(issue.path, refusal.field) ?? refusal.root);
  if (field === undefined) return new FosspushError(refusal.code, issue.message);
  return new FosspushError(refusal.code, `${field} ${issue.message}`, { details: { field } });
}

/**
 * Checks `input` against a schema and returns its output, or throws the FosspushError that
 * `refusal` describes for the first issue. Checking stops at the first issue.
 *
 * @example
 * const params = parseWithSchema(registerParams, raw, { code: 'INVALID_REQUEST', field: 'key', root: 'params' });
 */
export function parseWithSchema<S extends v.GenericSchema>(schema: S, input: unknown, refusal: SchemaRefusal): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  throw refusalOf(result.issues[0], refusal);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const OPTIONAL_TYPES = new Set(['optional', 'exact_optional', 'nullish']);

/**
 * An object schema for input from outside (a socket, a file, a wire) with the rules the
 * hand-written checks had: an array or null is not an object (`message`), and a required member
 * that is absent gets the member's own message, as if it were undefined, rather than
 * valibot's "missing key". Members not in `entries` are dropped, or, with `unknownMember`,
 * refused with that message, each naming its key.
 */
export function record<const E extends v.ObjectEntries>(
  entries: E,
  message: string,
  unknownMember?: string,
): v.GenericSchema<v.InferInput<v.ObjectSchema<E, undefined>>, v.InferOutput<v.ObjectSchema<E, undefined>>> {
  const required = Object.keys(entries).filter((key) => !OPTIONAL_TYPES.has((entries[key] as v.GenericSchema).type));
  return v.pipe(
    v.custom<v.InferInput<v.ObjectSchema<E, undefined>>>(isRecord, message),
    v.rawTransform(({ dataset, addIssue }) => {
      const input = dataset.value as Record<string, unknown>;
      if (unknownMember !== undefined) {
        for (const key of Object.keys(input)) {
          if (!Object.hasOwn(entries, key)) {
            addIssue({ message: unknownMember, path: [{ type: 'object', origin: 'key', input, key, value: input[key] }] });
            return input;
          }
        }
      }
      const members: Record<string, unknown> = {};
      for (const key of required) members[key] = undefined;
      for (const key of Object.keys(entries)) if (Object.hasOwn(input, key)) members[key] = input[key];
      return members;
    }),
    v.object(entries),
  );
}
