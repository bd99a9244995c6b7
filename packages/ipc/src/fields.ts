import { FosspushError } from '@fosspush/core';

/**
 * Small runtime checks for IPC params. The daemon trusts nothing a client sends: every field
 * is checked here, and a bad one is an INVALID_REQUEST naming the field, never a crash.
 */
export type Fields = Readonly<Record<string, unknown>>;

function invalid(field: string, expectation: string): FosspushError {
  return new FosspushError('INVALID_REQUEST', `${field} must be ${expectation}`, { details: { field } });
}

export function asObject(value: unknown, field = 'params'): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object');
  return value as Fields;
}

export interface StringRule {
  pattern?: RegExp;
  maxLength?: number;
  /** Said in the error message when the pattern does not match. */
  describe?: string;
}

export function checkString(value: unknown, field: string, rule: StringRule = {}): string {
  const maxLength = rule.maxLength ?? 1024;
  const expectation = rule.describe ?? `a string of 1 to ${maxLength} characters`;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) throw invalid(field, expectation);
  if (rule.pattern && !rule.pattern.test(value)) throw invalid(field, expectation);
  return value;
}

export function requireString(fields: Fields, key: string, rule: StringRule = {}): string {
  return checkString(fields[key], key, rule);
}

export function optionalString(fields: Fields, key: string, rule: StringRule = {}): string | undefined {
  return fields[key] === undefined ? undefined : requireString(fields, key, rule);
}

export function optionalInteger(fields: Fields, key: string, min: number, max: number): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(key, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function stringArray(fields: Fields, key: string, rule: StringRule & { maxItems: number; minItems?: number }): string[] {
  const value = fields[key] ?? [];
  const minItems = rule.minItems ?? 0;
  if (!Array.isArray(value) || value.length < minItems || value.length > rule.maxItems) {
    throw invalid(key, `an array of ${minItems} to ${rule.maxItems} strings`);
  }
  return value.map((item: unknown, index) => checkString(item, `${key}[${index}]`, rule));
}

/** Leaves out keys whose value is undefined, so optional params stay absent rather than `undefined`. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
