/** The application server's half of the RFC 8030 wire: build the request that delivers a push. */
export * from './build-push-request.js';
