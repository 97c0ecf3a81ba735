// A strict reader of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), to read metrics() output back.

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
const TYPES = ['counter', 'gauge', 'summary', 'histogram', 'untyped'];
const SUFFIXES: Record<string, string[]> = {
  summary: ['', '_sum', '_count'],
  histogram: ['_bucket', '_sum', '_count'],
};

const unescapeLabel = (value: string) =>
  value.replace(/\\([\\"n])/g, (_, char: string) => (char === 'n' ? '\n' : char));

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest) {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`malformed labels: {${text}}`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (name in labels) throw new Error(`repeated label ${name}`);
    labels[name] = unescapeLabel(value);
    rest = rest.slice(whole.length);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  if (!/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(text)) throw new Error(`malformed value: ${text}`);
  return Number(text);
}

/** Parses exposition text; throws on anything the format does not allow. */
export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (kind === 'HELP') {
        if (families.has(name)) throw new Error(`HELP for ${name} twice, or after its samples`);
        current = { name, type: 'untyped', help: rest, samples: [] };
        families.set(name, current);
      } else {
        if (current?.name !== name || current.samples.length) throw new Error(`TYPE for ${name} out of place`);
        if (!TYPES.includes(rest)) throw new Error(`unknown type ${rest}`);
        current.type = rest;
      }
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample || !current) throw new Error(`malformed line: ${line}`);
    const [, name, labels = '', value] = sample as unknown as [string, string, string | undefined, string];
    const allowed = (SUFFIXES[current.type] ?? ['']).map((suffix) => current?.name + suffix);
    if (!allowed.includes(name)) throw new Error(`sample ${name} outside its family ${current.name}`);
    current.samples.push({ name, labels: parseLabels(labels), value: parseValue(value) });
  }
  return families;
}
