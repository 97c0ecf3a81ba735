import {
  type CacheStatus,
  type EmittedEvent,
  type Middleware,
  redactHeaders,
  redactUrl,
  validateOptions,
} from '@ferrule/core';
import * as v from 'valibot';
import { type Call, describeError, observeCall, redactNames, remembered, settle } from './call.ts';
import { readBody } from './read-body.ts';
import { withMethod } from './schemas.ts';

/** The log levels ferrule writes at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log method: a record to merge into the line, and a message (pino's `(object, message)` order). */
export type LogMethod = (record: LogRecord, message: string) => void;

/**
 * What `logging()` writes to: pino, console, or anything with these methods. A missing method
 * falls back to `info`.
 */
export interface Logger {
  debug?: LogMethod;
  info?: LogMethod;
  warn?: LogMethod;
  error?: LogMethod;
}

/** A log record: one per call, and at debug level one per attempt (with `attempt` set). */
export interface LogRecord {
  method: string;
  /** The URL with key-like query parameters and any password redacted. */
  url: string;
  /** The route template, when given per call on `ferrule.observability.route`. */
  route?: string;
  /** The attempt this record is about (attempt records only). */
  attempt?: number;
  status?: number;
  durationMs: number;
  /** Network attempts of the call; 0 when a cache answered (call records only). */
  attempts?: number;
  retries?: number;
  cache?: CacheStatus;
  rateLimitWaitMs?: number;
  errorName?: string;
  /** `TIMEOUT`, `CIRCUIT_OPEN`, `ECONNREFUSED`, … */
  errorCode?: string;
  /** The error's message, with any URL in it redacted. */
  errorMessage?: string;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}

/** Options of {@link logging}. */
export interface LoggingOptions {
  /** Where records go: a pino logger, `console`, or any {@link Logger}. @default console */
  logger?: Logger;
  /** The lowest level written; `'debug'` adds one record per attempt. @default 'info' */
  level?: LogLevel | 'silent';
  /** More header, query parameter and body field names to redact, besides the key-like ones. @default [] */
  redact?: readonly string[];
  /** Adds the request's and the response's headers (redacted) to call records. @default false */
  headers?: boolean;
  /** Adds textual request and response bodies (redacted) to call records; logged once read. @default false */
  body?: boolean;
  /** Bodies larger than this are described by their size only. @default 8192 */
  maxBodyBytes?: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const LoggingOptionsSchema = v.strictObject({
  logger: withMethod('info', 'a logger with an info method (pino, console)'),
  level: v.optional(v.picklist(LEVELS)),
  redact: v.optional(v.array(v.string())),
  headers: v.optional(v.boolean()),
  body: v.optional(v.boolean()),
  maxBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

// Errors and 5xx are errors; 4xx are warnings (the client's mistake or a limit); the rest is info.
const levelOf = (call: Call): LogLevel => {
  const status = call.response?.status ?? 500;
  return call.failed || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
};

// Names the failure on the record; returns it for the message.
const withError = (record: LogRecord, name: string, code: string | undefined) => {
  record.errorName = name;
  if (code) record.errorCode = code;
  return `failed: ${name}${code ? ` (${code})` : ''}`;
};

// The fields of a call record that say something: no `retries: 0`, no empty cache status.
function callRecord(method: string, url: string, route: string | undefined, call: Call): LogRecord {
  const { response, attempts, cache, rateLimitWaitMs, events } = call;
  const record: LogRecord = { method, url, durationMs: call.durationMs, attempts };
  if (route) record.route = route;
  if (response) record.status = response.status;
  if (events?.retry) record.retries = events.retry;
  if (cache) record.cache = cache;
  if (rateLimitWaitMs) record.rateLimitWaitMs = rateLimitWaitMs;
  return record;
}

/**
 * Writes one structured record per logical call — method, redacted URL, status, duration,
 * attempts, cache status, rate-limit wait, error code — and at debug level one per attempt.
 * Fits pino (`logger.info(record, message)`) and console alike. Secrets never reach a record:
 * key-like query parameters, `Authorization`, `Cookie`, `Set-Cookie`, API-key headers, key-like
 * body fields and any name in `redact` are replaced by `[REDACTED]`. Put it first in `use`.
 * @example
 * const fetch = createFetch({ use: [logging({ logger: pino(), level: 'debug', redact: ['x-tenant'] })] });
 */
export function logging(options: LoggingOptions = {}): Middleware {
  validateOptions(LoggingOptionsSchema, options, 'logging');
  // The options themselves, not valibot's copy: a pino logger keeps its prototype.
  const { logger = console, level = 'info', redact, headers = false, body = false, maxBodyBytes = 8192 } = options;
  const names = redactNames(redact);
  const redactedUrl = remembered((url) => redactUrl(url, names));
  const minimum = LEVELS.indexOf(level);
  const write = (at: LogLevel, record: LogRecord, message: string) => {
    try {
      // A method call, so that pino keeps its `this`.
      if (logger[at]) logger[at](record, message);
      else logger.info?.(record, message);
    } catch {
      // A logger that throws never breaks a request.
    }
  };

  const attemptListener = (method: string, url: string) => (event: EmittedEvent) => {
    if (event.type !== 'response' && event.type !== 'network-error') return;
    const record: LogRecord = { method, url, attempt: event.attempt, durationMs: event.durationMs };
    let outcome: string;
    if (event.type === 'response') {
      record.status = event.status;
      outcome = String(event.status);
    } else outcome = withError(record, event.errorName, event.errorCode);
    write('debug', record, `${method} ${url} attempt ${event.attempt}: ${outcome} in ${event.durationMs} ms`);
  };

  const report = (
    request: Request,
    call: Call,
    url: string,
    route: string | undefined,
    requestBody?: Promise<string | undefined>,
  ) => {
    const at = levelOf(call);
    if (LEVELS.indexOf(at) < minimum) return;
    const { response, attempts } = call;
    const record = callRecord(request.method, url, route, call);
    let outcome = String(response?.status);
    if (!response) {
      const { name, code, message } = describeError(call.error, names);
      if (message) record.errorMessage = message;
      outcome = withError(record, name, code);
    }
    if (headers) {
      record.requestHeaders = redactHeaders(request.headers, names);
      if (response) record.responseHeaders = redactHeaders(response.headers, names);
    }
    const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
    const message = `${request.method} ${url} ${outcome} in ${call.durationMs} ms${tries}`;
    if (!body) return write(at, record, message);
    // With bodies, the record waits for both to be read (from clones; the caller's body is untouched).
    Promise.all([requestBody, response && readBody(response, maxBodyBytes, names)])
      .then(([sent, received]) => {
        if (sent !== undefined) record.requestBody = sent;
        if (received !== undefined) record.responseBody = received;
      })
      .catch(() => {})
      .finally(() => write(at, record, message));
  };

  return async function logging(request, context, next) {
    if (minimum === LEVELS.length - 1) return next(request, context);
    const url = redactedUrl(request.url);
    const route = context.options.observability?.route;
    const requestBody = body ? readBody(request, maxBodyBytes, names).catch(() => undefined) : undefined;
    const listener = minimum === 0 ? attemptListener(request.method, url) : undefined;
    const call = await observeCall(request, context, next, listener);
    try {
      report(request, call, url, route, requestBody);
    } catch {
      // A record that cannot be made never fails the call.
    }
    return settle(call);
  };
}
