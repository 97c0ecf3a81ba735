import { type EmittedEvent, REDACTED, redactUrl } from '@ferrule/core';
import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api';
import { knownMethod, scrub } from './call.ts';

// OpenTelemetry HTTP semantic conventions v1.44 (docs/http/http-spans.md, http-metrics.md).
const STATUS = 'http.response.status_code';
const ERROR_TYPE = 'error.type';

/** What `http.client.request.duration` keeps of a call span's attributes: the low-cardinality ones. */
export const METRIC_KEYS = [
  'http.request.method',
  'server.address',
  'server.port',
  'network.protocol.name',
  'url.template',
  STATUS,
  ERROR_TYPE,
];

/** `url.full` as the conventions ask: sensitive query values become `REDACTED`. */
export const fullUrl = (names: readonly string[]) => (url: string) =>
  redactUrl(url, names).replaceAll(REDACTED, 'REDACTED');

// Scheme, host and port of a serialized URL: cheaper than `new URL()` on every call. A Request's URL
// never holds credentials (the Fetch standard refuses to construct one), and IPv6 hosts are bracketed.
const ORIGIN = /^([a-z][a-z\d+.-]*):\/\/(?:\[([^\]]*)\]|([^:/?#]*))(?::(\d+))?/i;

/** A call span's attributes, known before the call starts (so samplers see them). */
export function startAttributes(request: Request, url: string, route: string | undefined): Attributes {
  const [, scheme, ipv6, host, port] = ORIGIN.exec(request.url) ?? [];
  const method = knownMethod(request.method);
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': ipv6 ?? host ?? '',
    'server.port': Number(port) || (scheme === 'https' ? 443 : 80),
    'url.full': url,
    'network.protocol.name': 'http',
  };
  if (method !== request.method) attributes['http.request.method_original'] = request.method;
  if (route) attributes['url.template'] = route;
  return attributes;
}

/** The outcome attributes: the status code, and `error.type` for a failure or a 4xx/5xx (errors for a client). */
export function outcome(status: number | undefined, errorType?: string): Attributes {
  const result: Attributes = {};
  if (status !== undefined) result[STATUS] = status;
  const type = errorType ?? ((status ?? 0) >= 400 ? String(status) : undefined);
  if (type) result[ERROR_TYPE] = type;
  return result;
}

/** Sets the outcome on a span, marks it an error when it is one, and ends it. */
export function endWith(span: Span, result: Attributes, endMs: number): void {
  span.setAttributes(result);
  if (result[ERROR_TYPE]) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(endMs);
}

/** An event's fields as `ferrule.<type>.<field_name>` attributes, any URL in a text redacted. */
export function eventAttributes(event: EmittedEvent, names: readonly string[]): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    const name = key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    attributes[`ferrule.${event.type}.${name}`] =
      typeof value === 'string' ? scrub(value, names) : (value as number | boolean | undefined);
  }
  return attributes;
}
