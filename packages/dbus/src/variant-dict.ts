import type { ExportedMethod } from './bus.js';

/**
 * The `a{sv}` dictionaries of the v2 interfaces, as plain objects. The spec only ever puts
 * strings (`s`) and byte arrays (`ay`) in them, so those are the two value types we read and
 * write; a value of another type is dropped on reading, which makes a call that needed it fail
 * validation (the spec says such calls are ignored).
 */
export type DictValue = string | Uint8Array;
export type VariantDict = Readonly<Record<string, DictValue>>;

/** A variant as the bus adapter carries it: its signature and its value. */
export interface Variant {
  signature: string;
  value: unknown;
}

export type DictEntries = readonly (readonly [string, Variant])[];

export function toDictEntries(dict: VariantDict): DictEntries {
  return Object.entries(dict).map(([key, value]) =>
    typeof value === 'string' ? [key, { signature: 's', value }] : [key, { signature: 'ay', value }],
  );
}

export function fromDictEntries(entries: DictEntries): Record<string, DictValue> {
  const dict: Record<string, DictValue> = {};
  for (const [key, variant] of entries) {
    if (variant.signature === 's' && typeof variant.value === 'string') dict[key] = variant.value;
    else if (variant.signature === 'ay' && variant.value instanceof Uint8Array) dict[key] = variant.value;
  }
  return dict;
}

export function stringField(dict: Readonly<Record<string, DictValue>>, key: string): string | undefined {
  const value = dict[key];
  return typeof value === 'string' ? value : undefined;
}

export function bytesField(dict: Readonly<Record<string, DictValue>>, key: string): Uint8Array | undefined {
  const value = dict[key];
  return value instanceof Uint8Array ? value : undefined;
}

/**
 * A v2 method: one `a{sv}` in (`args`), one `a{sv}` out (`res`), as every method of
 * Distributor2 and Connector2 is.
 */
export function dictMethod(handler: (args: Readonly<Record<string, DictValue>>, sender: string) => Promise<VariantDict>): ExportedMethod {
  return {
    in: 'a{sv}',
    out: 'a{sv}',
    inNames: ['args'],
    outNames: ['res'],
    handler: async ([entries], sender) => [toDictEntries(await handler(fromDictEntries(entries as DictEntries), sender))],
  };
}
