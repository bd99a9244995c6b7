/**
 * The workload of the proxy tests against one running server, for scripts/self-host-check.sh:
 * devices on WebSocket and SSE get their pushes, /healthz answers on the operator address and
 * not on the public one.
 *
 * Usage: check-deployment.ts PUBLIC_URL OPERATOR_URL
 */
import * as assert from 'node:assert/strict';
import { checkDelivery } from './workload.js';

const [publicUrl, operatorUrl] = process.argv.slice(2);
if (!publicUrl || !operatorUrl) throw new Error('usage: check-deployment.ts PUBLIC_URL OPERATOR_URL');
await checkDelivery({ publicUrl });
assert.equal((await fetch(`${operatorUrl}/healthz`)).status, 200);
assert.equal((await fetch(`${publicUrl}/healthz`)).status, 404);
console.log('check-deployment: subscribe, WebSocket and SSE delivery, operator endpoints: ok');
