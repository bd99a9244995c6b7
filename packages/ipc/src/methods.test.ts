import { isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { IPC_PAGE_LIMIT, IPC_PARAM_VALIDATORS, isIpcMethod } from './methods.js';

const keys = { p256dh: 'BAAA', auth: 'AAAA' };
const auth = { appId: 'org.example.chat', credential: 'c2VjcmV0' };

function fieldOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (isFosspushError(error, 'INVALID_REQUEST')) return error.details['field'];
    throw error;
  }
  return 'no error';
}

describe('IPC_PARAM_VALIDATORS', () => {
  it('accepts a first registration without a credential and drops absent optionals', () => {
    expect(IPC_PARAM_VALIDATORS.register({ appId: 'org.example.chat', instance: 'gcm', keys })).toEqual({
      appId: 'org.example.chat',
      instance: 'gcm',
      keys,
      senderIds: [],
    });
  });

  it('names the offending field', () => {
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.register({ appId: '../etc', instance: 'gcm', keys }))).toBe('appId');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.register({ appId: 'a', instance: 'a b', keys }))).toBe('instance');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.register({ appId: 'a', instance: 'i', keys: { p256dh: 'x!' } }))).toBe('p256dh');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.register({ appId: 'a', instance: 'i', keys, senderIds: [1] }))).toBe('senderIds[0]');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.messages({ ...auth, afterSeq: -1 }))).toBe('afterSeq');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.messages({ ...auth, limit: IPC_PAGE_LIMIT + 1 }))).toBe('limit');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.ack({ ...auth, messageIds: [] }))).toBe('messageIds');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.observe({ appId: 'a' }))).toBe('credential');
    expect(fieldOf(() => IPC_PARAM_VALIDATORS.observe(null))).toBe('params');
  });

  it('knows exactly its own methods', () => {
    expect(isIpcMethod('register')).toBe(true);
    expect(isIpcMethod('toString')).toBe(false);
    expect(isIpcMethod('__proto__')).toBe(false);
  });
});
