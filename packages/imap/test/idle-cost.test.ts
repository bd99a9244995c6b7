import { type MailRig, startMailRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureIdleCost } from './idle-probe.js';

// Time runs 120 times faster: Dovecot says "Still here" every second (2 minutes), the channel
// restarts IDLE every 10 s (20 minutes) and its watchdog looks every 2 s (4 minutes).
const SCALE = 120;

describe('an idle email channel against Dovecot', () => {
  let rig: MailRig;

  beforeAll(async () => {
    rig = await startMailRig({ users: ['idle'], idleNotifyIntervalSeconds: (2 * 60) / SCALE });
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it("adds no traffic of its own while the server keeps talking: Dovecot's keepalives and a re-IDLE every 20 minutes", { timeout: 30_000 }, async () => {
    // 16 s stand for 32 idle minutes: about 16 keepalives and one re-IDLE.
    const cost = await measureIdleCost(rig.info, 'idle', { scale: SCALE, durationMs: 16_000 });
    expect(cost.connections).toBe(1);
    expect(cost.perHour.NOOP).toBe(0);
    expect(cost.perHour.other).toBe(0);
    expect(cost.perHour.keepalive).toBeGreaterThan(20);
    expect(cost.perHour.keepalive).toBeLessThanOrEqual(33);
    expect(cost.perHour['re-IDLE']).toBeGreaterThan(0);
    expect(cost.perHour['re-IDLE']).toBeLessThanOrEqual(4);
  });
});
