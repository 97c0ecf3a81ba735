import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { matchRoute } from '@ferrule/core';

/** A request as the test server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent: `/items?page=2`. */
  url: string;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json(): unknown;
  /** The route pattern that answered, or `undefined` for the fallback. */
  route: string | undefined;
  /** Whether the client went away before the response was complete (a timeout, an abort). */
  aborted: boolean;
}

/** What the server answers with; every field is optional. */
export interface ResponseSpec {
  /** @default 200 */
  status?: number;
  headers?: Record<string, string | string[]>;
  /** A JSON body (sets `content-type: application/json` unless given). */
  json?: unknown;
  body?: string | Uint8Array;
  /** Waits this long (real time) before answering. */
  delayMs?: number;
  /** Destroys the connection instead of answering. */
  reset?: boolean;
  /** Sends the headers and this many body bytes, then stalls until the client gives up. */
  stallAfterBytes?: number;
  /** Sends the body in these chunks, `chunkDelayMs` apart. */
  chunks?: (string | Uint8Array)[];
  chunkDelayMs?: number;
  /** Sends this ETag and answers 304 to a matching `If-None-Match`. */
  etag?: string;
  /** Sends this Last-Modified and answers 304 to a later-or-equal `If-Modified-Since`. */
  lastModified?: string | Date;
}

/** What a handler function is told besides the request. */
export interface RouteContext {
  /** How many requests this route has received so far, this one included (1-based). */
  count: number;
  server: TestServer;
}

/** Answers a request with a spec or a web `Response`. */
export type RouteHandler = (
  request: RecordedRequest,
  context: RouteContext,
) => ResponseSpec | Response | Promise<ResponseSpec | Response>;

/** A route: one answer, a sequence of answers (the last one repeats), or a handler. */
export type RouteSpec = ResponseSpec | readonly ResponseSpec[] | RouteHandler;

/** A real HTTP server on 127.0.0.1 with programmable routes and a record of every request. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** The requests a route pattern (`'GET /items'`) answered. */
  requestsTo(pattern: string): RecordedRequest[];
  /** Adds or replaces a route. */
  route(pattern: string, spec: RouteSpec): void;
  /** Forgets the recorded requests and the per-route counts. */
  reset(): void;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link createTestServer}. */
export interface TestServerOptions {
  /** What unmatched requests get. @default { status: 404, json: { error: 'not found' } } */
  fallback?: RouteSpec;
}

interface Route {
  pattern: string;
  matches: (request: Request) => boolean;
  spec: RouteSpec;
  count: number;
}

const encoder = new TextEncoder();
const toBytes = (body: string | Uint8Array) => (typeof body === 'string' ? encoder.encode(body) : body);

const etagMatches = (header: string, etag: string) => {
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((candidate) => weak(candidate) === weak(etag));
};

function isNotModified(request: RecordedRequest, spec: ResponseSpec): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (spec.etag && ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, spec.etag);
  const ifModifiedSince = request.headers['if-modified-since'];
  if (!spec.lastModified || ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && new Date(spec.lastModified).getTime() <= since;
}

// Header names in lower case, with ETag, Last-Modified and the JSON content type filled in.
function prepare(spec: ResponseSpec) {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
  if (spec.etag) headers.etag ??= spec.etag;
  if (spec.lastModified) headers['last-modified'] ??= new Date(spec.lastModified).toUTCString();
  let body: Uint8Array | undefined;
  if (spec.json !== undefined) {
    body = encoder.encode(JSON.stringify(spec.json));
    headers['content-type'] ??= 'application/json';
  } else if (spec.body !== undefined) body = toBytes(spec.body);
  return { headers, body };
}

/**
 * Starts a real HTTP server on 127.0.0.1 on a free port, with programmable behaviour per route:
 * status sequences, delays, connection resets, stalls mid-body, streamed chunks, ETag and
 * Last-Modified with 304s, or any handler. It records every request it receives.
 * From `@ferrule/testing/vitest` the server also closes itself when the test ends.
 * @example
 * const server = await createTestServer({
 *   'GET /flaky': [{ status: 503 }, { status: 503 }, { json: { ok: true } }],
 * });
 * await fetch(`${server.url}/flaky`); // 503
 */
export async function createTestServer(
  routes: Record<string, RouteSpec> = {},
  { fallback = { status: 404, json: { error: 'not found' } } }: TestServerOptions = {},
): Promise<TestServer> {
  const table: Route[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer({ keepAliveTimeout: 5_000 }, (incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      if (!outgoing.headersSent) {
        outgoing.writeHead(500, { 'content-type': 'text/plain' });
        outgoing.end(`test server handler failed: ${String(error)}`);
      } else outgoing.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const method = incoming.method ?? 'GET';
    const url = incoming.url ?? '/';
    const probe = { method, url: `${testServer.url}${url}` } as Request;
    const route = table.find((candidate) => candidate.matches(probe));
    const recorded: RecordedRequest = {
      method,
      url,
      headers,
      body,
      text: () => new TextDecoder().decode(body),
      json: () => JSON.parse(new TextDecoder().decode(body)),
      route: route?.pattern,
      aborted: false,
    };
    requests.push(recorded);
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) recorded.aborted = true;
    });
    const count = route ? ++route.count : 1;
    let spec = route ? route.spec : fallback;
    if (typeof spec === 'function') {
      const answer = await spec(recorded, { count, server: testServer });
      if (answer instanceof Response) return writeResponse(outgoing, answer);
      spec = answer;
    } else if (Array.isArray(spec)) {
      spec = (spec[Math.min(count, spec.length) - 1] ?? {}) as ResponseSpec;
    }
    await writeSpec(recorded, outgoing, spec as ResponseSpec);
  }

  async function writeResponse(outgoing: ServerResponse, response: Response) {
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
    });
    outgoing.writeHead(response.status, response.statusText, headers);
    if (response.body) for await (const chunk of response.body) outgoing.write(chunk);
    outgoing.end();
  }

  async function writeSpec(request: RecordedRequest, outgoing: ServerResponse, spec: ResponseSpec) {
    if (spec.delayMs) await wait(spec.delayMs);
    if (spec.reset || closed) {
      outgoing.socket?.destroy();
      return;
    }
    const { headers, body } = prepare(spec);
    if (isNotModified(request, spec)) {
      delete headers['content-type'];
      outgoing.writeHead(304, headers);
      outgoing.end();
    } else if (spec.chunks) await writeChunks(outgoing, spec, headers, spec.chunks);
    else if (spec.stallAfterBytes !== undefined) writeStall(outgoing, spec, headers, body, spec.stallAfterBytes);
    else {
      if (body && request.method !== 'HEAD') headers['content-length'] ??= String(body.byteLength);
      outgoing.writeHead(spec.status ?? 200, headers);
      outgoing.end(request.method === 'HEAD' ? undefined : body);
    }
  }

  async function writeChunks(
    outgoing: ServerResponse,
    spec: ResponseSpec,
    headers: Record<string, string | string[]>,
    chunks: readonly (string | Uint8Array)[],
  ) {
    outgoing.writeHead(spec.status ?? 200, headers);
    for (const [index, chunk] of chunks.entries()) {
      if (index > 0 && spec.chunkDelayMs) await wait(spec.chunkDelayMs);
      if (closed || outgoing.destroyed) return;
      outgoing.write(toBytes(chunk));
    }
    outgoing.end();
  }

  // Sends the headers and the first bytes, then never ends: the client must time out.
  function writeStall(
    outgoing: ServerResponse,
    spec: ResponseSpec,
    headers: Record<string, string | string[]>,
    body: Uint8Array | undefined,
    stallAfterBytes: number,
  ) {
    const bytes = body ?? encoder.encode('x'.repeat(stallAfterBytes + 1024));
    headers['content-length'] ??= String(bytes.byteLength);
    outgoing.writeHead(spec.status ?? 200, headers);
    outgoing.write(bytes.subarray(0, stallAfterBytes));
  }

  const addRoute = (pattern: string, spec: RouteSpec) => {
    const existing = table.findIndex((route) => route.pattern === pattern);
    const route = { pattern, matches: matchRoute(pattern), spec, count: 0 };
    if (existing >= 0) table[existing] = route;
    else table.push(route);
  };
  for (const [pattern, spec] of Object.entries(routes)) addRoute(pattern, spec);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    requestsTo: (pattern) => requests.filter((request) => request.route === pattern),
    route: addRoute,
    reset() {
      requests.length = 0;
      for (const route of table) route.count = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return testServer;
}
