import type { Clock } from './clock.ts';
import type { EmittedEvent } from './events.ts';

/**
 * Per-call options, by concern. Each package adds its own key by declaration merging
 * (`declare module '@ferrule/core' { interface CallOptions { retry?: … } }`), and a caller passes
 * them on `init.ferrule` — through ky, through any SDK that forwards `init` — or a middleware takes
 * them from its route rules (`match: 'GET /products/*'`).
 */
export interface CallOptions {
  [concern: string]: unknown;
}

declare global {
  interface RequestInit {
    /** Per-call options for ferrule's middlewares. */
    ferrule?: CallOptions;
  }
}

/** What every middleware knows about the call it is part of. */
export interface Context {
  /** Aborts the call: the caller's signal, narrowed by any timeout layer outside this one. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt; retry and hedging layers hand on higher numbers. */
  readonly attempt: number;
  /** The per-call options the caller passed on `init.ferrule` (an empty object when none). */
  readonly options: CallOptions;
  /** The clock every timing decision goes through. */
  readonly clock: Clock;
  /** Reports what happened. Never throws; a listener that fails is ignored. */
  readonly emit: (event: EmittedEvent) => void;
}

/** Hands a request on to the rest of the chain. May be called several times (retry, hedging). */
export type Next = (request: Request, context: Context) => Promise<Response>;

/**
 * One concern of a client. A middleware may hand the request on (or a changed copy), call `next`
 * several times (keeping the body replayable), answer without calling `next`, or change the
 * response. It never consumes a body that it hands on.
 * @example
 * const userAgent: Middleware = async function userAgent(request, context, next) {
 *   editable(request, context).headers.set('user-agent', 'my-app/1.0');
 *   return next(request, context);
 * };
 */
export type Middleware = (request: Request, context: Context, next: Next) => Promise<Response>;

/** A standard fetch function, as `createFetch` returns and as a terminal handler must be. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
