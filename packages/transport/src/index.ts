export { type BodyLimitOptions, bodyLimit, type TransportCallOptions } from './body-limit.ts';
export { type ClientOptions, createClient } from './create-client.ts';
export { clientOrder, type Slot, type Slots } from './order.ts';
export {
  createParseJson,
  isJsonContentType,
  type JsonParser,
  type ParseJsonContext,
  parseJson,
} from './parse-json.ts';
export { MAX_ISSUES, validateResponse } from './validated-client.ts';
// `assemble`, `withValidation` and `withBody` stay internal: `createClient` is the API. The undici fast
// path is Node-only and lives at the subpath `@ferrule/transport/undici`.
