export { type Clock, createFakeClock, type FakeClock } from '@ferrule/core';
export {
  type RateLimitedOptions,
  type RateLimitedRoute,
  type RateLimitHeaderStyle,
  rateLimited,
} from './rate-limited.ts';
export { type OwnRedis, ownRedis } from './redis-server.ts';
export {
  createTestServer,
  type RecordedRequest,
  type ResponseSpec,
  type RouteContext,
  type RouteHandler,
  type RouteSpec,
  type TestServer,
  type TestServerOptions,
} from './test-server.ts';
export { type WaitOptions, waitForSleepers, waitUntil } from './wait.ts';
