/**
 * @module fosspush
 *
 * The fosspush command line: `fosspush demo` (push server, daemon and app on one machine),
 * `fosspush send` (an app server's send, from the shell), `fosspush token` (what a token holds).
 */
export { DEMO_APP_ID, type Demo, type DemoDelivery, type DemoOptions, startDemo } from './demo.js';
export { dataFromBody, dataFromPairs } from './data-input.js';
export { sendToToken } from './deliver-token.js';
