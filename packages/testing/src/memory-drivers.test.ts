// The in-memory drivers are the reference the suites are written against: run them here,
// beside the suites, so core needs no test dependency on this package.
import { createMemoryBroker, createMemoryStore } from '@fosspush/core';
import { describeBrokerConformance } from './broker-conformance.js';
import { describeStoreConformance } from './store-conformance.js';

describeStoreConformance('memory', { create: (clock) => createMemoryStore({ runtime: { clock } }), synchronous: true });

describeBrokerConformance('memory', async () => {
  const broker = createMemoryBroker();
  return [broker, broker];
}, { synchronous: true });
