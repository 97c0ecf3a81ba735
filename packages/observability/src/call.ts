import { type CacheStatus, type Context, type EmittedEvent, type Next, redactUrl } from '@ferrule/core';

/**
 * One logical call as the outermost layer saw it, gathered from the events that the layers below
 * it emit through `context.emit`. Observability needs no knowledge of those layers.
 */
export interface Call {
  /** The clock time the call started, in ms. */
  readonly startMs: number;
  /** How long the call took until its response headers arrived (or it failed), in ms. */
  durationMs: number;
  /** Network attempts (`request` events); 0 when a cache answered. */
  attempts: number;
  /** What the cache did with the call, when a cache layer took part. */
  cache: CacheStatus | undefined;
  /** Time spent waiting for the rate limiter, in ms. */
  rateLimitWaitMs: number;
  /** How many events of each other type (`retry`, `cache`, `timeout`, `circuit`…) the call saw. */
  events: Record<string, number> | undefined;
  /** The response, when the call did not fail. */
  response: Response | undefined;
  /** Whether the call failed (rejected) — then `error` holds the reason. */
  failed: boolean;
  error: unknown;
}

type Listener = (event: EmittedEvent, call: Call) => void;

function tally(call: Call, event: EmittedEvent): void {
  const { type } = event;
  if (type === 'request') call.attempts++;
  else if (type !== 'response' && type !== 'network-error') {
    call.events ??= {};
    call.events[type] = (call.events[type] ?? 0) + 1;
    // A `stored` after a `miss` keeps the call a miss.
    if (type === 'cache' && (event.status !== 'stored' || !call.cache)) call.cache = event.status;
    else if (type === 'ratelimit' && event.action === 'waited' && Number.isFinite(event.waitMs)) {
      call.rateLimitWaitMs += event.waitMs as number;
    }
  }
}

/**
 * Runs `next` with a context whose `emit` also tallies the call and tells `listener`, and settles
 * into a {@link Call} instead of throwing: the middleware reports, then rethrows `call.error`.
 * The listener runs behind a guard; the original `emit` always runs.
 */
export async function observeCall(request: Request, context: Context, next: Next, listener?: Listener): Promise<Call> {
  const { clock, emit } = context;
  const call: Call = {
    startMs: clock.now(),
    durationMs: 0,
    attempts: 0,
    cache: undefined,
    rateLimitWaitMs: 0,
    events: undefined,
    response: undefined,
    failed: false,
    error: undefined,
  };
  const watched: Context = {
    ...context,
    emit: (event) => {
      tally(call, event);
      if (listener) {
        try {
          listener(event, call);
        } catch {
          // An observer never breaks a request.
        }
      }
      emit(event);
    },
  };
  try {
    call.response = await next(request, watched);
  } catch (error) {
    call.failed = true;
    call.error = error;
  }
  call.durationMs = clock.now() - call.startMs;
  return call;
}

/** Settles a middleware the way the call settled. */
export const settle = (call: Call): Response => {
  if (call.failed) throw call.error;
  return call.response as Response;
};

// The same string objects every time, so they hash once as map keys.
const STATUS_CLASSES = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** `'1xx'`…`'5xx'` for a status, `'error'` when the call failed without a response (or got no real status). */
export const statusClass = (status: number | undefined): string =>
  STATUS_CLASSES[status === undefined ? 0 : Math.floor(status / 100)] ?? 'error';

/**
 * `redact`, remembering its last answers: a client calls the same URLs again and again, and
 * redacting a query string costs about a microsecond. Bounded: it starts afresh past 256 URLs.
 */
export function remembered(redact: (url: string) => string): (url: string) => string {
  const known = new Map<string, string>();
  return (url) => {
    let redacted = known.get(url);
    if (redacted === undefined) {
      if (known.size >= 256) known.clear();
      redacted = redact(url);
      known.set(url, redacted);
    }
    return redacted;
  };
}

// RFC 9110 §9 and PATCH (RFC 5789); anything else is `_OTHER`, as the HTTP semantic conventions ask.
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** The method as a low-cardinality label. */
export const knownMethod = (method: string): string => (KNOWN_METHODS.has(method) ? method : '_OTHER');

// Query keys the HTTP semantic conventions name for redaction, besides core's key-like names.
const SEMCONV_KEYS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature'];

/** The names to redact: the user's, plus those the OpenTelemetry conventions list. */
export const redactNames = (extra: readonly string[] = []): string[] => [...extra, ...SEMCONV_KEYS];

// A URL in prose: it does not end with the punctuation around it (`(GET https://…)`, `…/x.`).
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'<>]*[^\s"'<>).,;]/gi;

/** Text with every URL in it redacted (query keys, user-info): for error messages and event fields. */
export const scrub = (text: string, names: readonly string[]): string =>
  text.includes('://') ? text.replace(URL_IN_TEXT, (url) => redactUrl(url, names)) : text;

/** What is safe to say about an error: its name, a low-cardinality code, and a message with URLs redacted. */
export interface ErrorFacts {
  name: string;
  /** The ferrule error code (`TIMEOUT`), or the system code of a network failure (`ECONNREFUSED`). */
  code: string | undefined;
  message: string;
}

/**
 * The facts of an error that are safe to log: never a stack, never a header; the message with any
 * URL in it redacted. A thrown non-error gives its name as `'Error'` and an empty message.
 */
export function describeError(error: unknown, names: readonly string[]): ErrorFacts {
  const { name, code, cause, message } = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
  };
  const causeCode = cause?.code;
  return {
    name: typeof name === 'string' ? name : 'Error',
    code: typeof causeCode === 'string' ? causeCode : typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? scrub(message, names) : '',
  };
}
