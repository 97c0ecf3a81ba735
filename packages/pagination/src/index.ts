export type { PaginationCheckpoint } from './checkpoint.ts';
export { type CursorOptions, cursor } from './cursor.ts';
export { type LinkHeaderOptions, linkHeader } from './link-header.ts';
export { type NextUrlOptions, nextUrl } from './next-url.ts';
export { type OffsetOptions, offset } from './offset.ts';
export type { PaginateOptions } from './options.ts';
export { type PageOptions, page } from './page.ts';
export { type Page, type Paginator, paginate } from './paginate.ts';
export { parseLinkHeader, type WebLink } from './parse-link-header.ts';
// `extractor`, `refuse` and the option schemas stay internal: strategies are the extension point.
export type { Extractor, JsonValue, PageState, PaginationStrategy } from './strategy.ts';
export { type TimeInput, type TimeWindowOptions, type TimeWindowPosition, timeWindow } from './time-window.ts';
