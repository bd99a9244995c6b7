import { describe, expect, it } from 'vitest';
import { canonicalizeAddress, parseAddressList, sameAddress, singleAddress } from './address.js';

describe('addresses', () => {
  it('canonicalizes the local part to lower case and the domain to IDNA ASCII', () => {
    expect(canonicalizeAddress(' Alice@Example.ORG ')).toBe('alice@example.org');
    expect(canonicalizeAddress('Anna@Bücher.example')).toBe('anna@xn--bcher-kva.example');
    expect(canonicalizeAddress('ÄRGER@example.org')).toBe('ärger@example.org');
    expect(sameAddress('anna@bücher.example', 'ANNA@XN--BCHER-KVA.example')).toBe(true);
    expect(sameAddress('anna@example.org', 'anne@example.org')).toBe(false);
  });

  it('reads addr-specs from address lists with display names, quotes, comments and groups', () => {
    expect(parseAddressList('Alice <alice@example.org>')).toEqual(['alice@example.org']);
    expect(parseAddressList('alice@example.org (Alice at work)')).toEqual(['alice@example.org']);
    expect(parseAddressList('"Doe, John" <john@example.org>, bob@example.net')).toEqual(['john@example.org', 'bob@example.net']);
    expect(parseAddressList('"quoted <fake@example.org>" <real@example.org>')).toEqual(['real@example.org']);
    expect(parseAddressList('Friends: a@example.org, b@example.org;, c@example.org')).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(parseAddressList('undisclosed-recipients:;')).toEqual([]);
    expect(parseAddressList('not an address')).toEqual([]);
  });

  it('finds the single From address, or none when there are several', () => {
    expect(singleAddress('Alice <alice@example.org>')).toBe('alice@example.org');
    expect(singleAddress('alice@example.org, bob@example.org')).toBeUndefined();
    expect(singleAddress('')).toBeUndefined();
  });
});
