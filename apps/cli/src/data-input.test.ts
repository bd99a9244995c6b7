import { isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { dataFromBody, dataFromPairs } from './data-input.js';

describe('data input', () => {
  it('reads key=value pairs, keeping = in values', () => {
    expect(dataFromPairs(['message=hi', 'url=https://x/?a=b'])).toEqual({ message: 'hi', url: 'https://x/?a=b' });
    expect(() => dataFromPairs(['novalue'])).toThrow(/key=value/);
  });

  it('reads curl bodies: form, JSON (non-strings stringified), plain text', () => {
    expect(dataFromBody('message=Hi+again&x=1', 'application/x-www-form-urlencoded')).toEqual({ message: 'Hi again', x: '1' });
    expect(dataFromBody('{"title":"News","n":2}', undefined)).toEqual({ title: 'News', n: '2' });
    expect(dataFromBody('just text', 'application/x-www-form-urlencoded')).toEqual({ message: 'just text' });
    expect(dataFromBody('hello', 'text/plain')).toEqual({ message: 'hello' });
  });

  it('refuses what cannot become data with INVALID_REQUEST', () => {
    for (const [body, type] of [['', undefined], ['{bad json}', 'application/json'], ['[1]', 'application/json']] as const) {
      expect(() => dataFromBody(body, type)).toThrow();
      try {
        dataFromBody(body, type);
      } catch (error) {
        expect(isFosspushError(error, 'INVALID_REQUEST')).toBe(true);
      }
    }
  });
});
