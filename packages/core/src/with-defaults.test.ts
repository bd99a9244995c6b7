import { describe, expect, expectTypeOf, it } from 'vitest';
import { withDefaults } from './with-defaults.js';

interface PoolOptions {
  /** @default 50 */
  maxSockets?: number;
  /** @default 'pool' */
  name?: string | null;
  logger?: { info(line: string): void };
}
const POOL_DEFAULTS = { maxSockets: 50, name: 'pool' } satisfies Required<Omit<PoolOptions, 'logger'>>;

describe('withDefaults', () => {
  it('keeps a default when the option is undefined or missing, and takes every defined option', () => {
    expect(withDefaults(POOL_DEFAULTS, { maxSockets: undefined })).toEqual({ maxSockets: 50, name: 'pool' });
    expect(withDefaults(POOL_DEFAULTS, {})).toEqual({ maxSockets: 50, name: 'pool' });
    expect(withDefaults(POOL_DEFAULTS, undefined)).toEqual({ maxSockets: 50, name: 'pool' });
    expect(withDefaults(POOL_DEFAULTS, { maxSockets: 0, name: '' })).toEqual({ maxSockets: 0, name: '' });
  });

  it('keeps null, which is a value and not "not given"', () => {
    expect(withDefaults(POOL_DEFAULTS, { name: null })).toEqual({ maxSockets: 50, name: null });
  });

  it('does not add a key for an undefined option that has no default', () => {
    expect(Object.keys(withDefaults(POOL_DEFAULTS, { logger: undefined }))).toEqual(['maxSockets', 'name']);
  });

  it('changes neither input, and keeps the identity of object values (shallow)', () => {
    const defaults = { maxSockets: 50, name: 'pool', nested: { a: 1 } };
    const logger = { info() {} };
    const options: PoolOptions & { nested?: { b: number } } = { maxSockets: 3, logger, nested: { b: 2 } };
    const resolved = withDefaults(defaults, options);
    expect(defaults).toEqual({ maxSockets: 50, name: 'pool', nested: { a: 1 } });
    expect(options).toEqual({ maxSockets: 3, logger, nested: { b: 2 } });
    expect(resolved.logger).toBe(logger);
    expect(resolved.nested).toBe(options.nested);
    expect(resolved).not.toBe(defaults);
  });

  it('does not copy keys that reach a prototype, even from parsed JSON', () => {
    const options = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"maxSockets":7}') as PoolOptions;
    const resolved = withDefaults(POOL_DEFAULTS, options);
    expect(resolved).toEqual({ maxSockets: 7, name: 'pool' });
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(Object.hasOwn(resolved, 'constructor')).toBe(false);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('types defaulted keys as required and defined, and passes the other options through', () => {
    const resolved = withDefaults(POOL_DEFAULTS, {} as PoolOptions);
    expectTypeOf(resolved.maxSockets).toEqualTypeOf<number>();
    expectTypeOf(resolved.name).toEqualTypeOf<string | null>();
    expectTypeOf(resolved).toEqualTypeOf<{ maxSockets: number; name: string | null; logger?: { info(line: string): void } }>();
  });
});
