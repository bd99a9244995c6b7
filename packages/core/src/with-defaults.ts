/**
 * What `withDefaults(defaults, options)` returns: every key of `defaults`, required, typed as its
 * default or any defined value the options allow, plus the options' other keys as they are
 * (optional ones stay optional).
 */
export type WithDefaults<Defaults extends object, Options extends object> = Flatten<
  { -readonly [Key in keyof Defaults]: Key extends keyof Options ? Defaults[Key] | Exclude<Options[Key], undefined> : Defaults[Key] } & {
    -readonly [Key in keyof Options as Key extends keyof Defaults ? never : Key]: Options[Key];
  }
>;

/** One object type instead of an intersection, so editors show the resolved options plainly. */
type Flatten<T> = { [Key in keyof T]: T[Key] };

// Assigning `__proto__` to a plain object replaces its prototype; the other two keys are the
// usual way in to one. No option is named like them, so they are dropped rather than copied.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Resolves an options object against its defaults: `defaults`, overlaid by every option whose
 * value is not `undefined`. An `undefined` option means "not given", so a caller can pass a
 * maybe-missing value straight through (`{ port: config.port }`) without losing the default,
 * which a plain `{ ...defaults, ...options }` would. `null` and every other value is kept.
 *
 * Shallow on purpose: nested option groups (`reconnect`, `rateLimits`) have defaults objects of
 * their own and are resolved where they are used, and option values are often objects that must
 * keep their identity (a logger, a store, a `Runtime`), not be copied key by key.
 * Neither input is changed. Keys that could reach a prototype (`__proto__`) are not copied.
 *
 * @example
 * export const POOL_DEFAULTS = { maxSockets: 50, timeoutMs: 30_000 } satisfies Required<PoolOptions>;
 * const settings = withDefaults(POOL_DEFAULTS, options); // { maxSockets: number; timeoutMs: number }
 */
export function withDefaults<Defaults extends object, Options extends object>(defaults: Defaults, options: Options | undefined): WithDefaults<Defaults, Options> {
  const resolved = { ...defaults } as Record<string, unknown>;
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined && !UNSAFE_KEYS.has(key)) resolved[key] = value;
    }
  }
  return resolved as WithDefaults<Defaults, Options>;
}
