// The Node-only subpath `@ferrule/transport/undici`: the main entry stays on Web APIs alone.
export { type UndiciFetch, type UndiciFetchOptions, undiciFetch } from './undici-fetch.ts';
