import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseFlags, UsageError } from '../src/args.ts';

const settingsOf = (argv: string[]) => {
  const command = parseFlags(argv);
  if (command.help) throw new Error('expected a run');
  return command.settings;
};

describe('the demo flags', () => {
  it('runs the embedded API with the defaults when given no flags', () => {
    expect(settingsOf([])).toEqual({ ...DEFAULTS, json: false, target: undefined });
  });

  it('reads every flag', () => {
    const argv = ['--chaos', '0.25', '--rate', '12.5', '--items', '40', '--seed', '9', '--json'];
    expect(settingsOf(argv)).toEqual({
      chaos: 0.25,
      ratePerSecond: 12.5,
      items: 40,
      seed: 9,
      json: true,
      target: undefined,
    });
    expect(settingsOf(['--chaos=0', '--seed=0'])).toMatchObject({ chaos: 0, seed: 0 });
  });

  it('runs against a target without faults of its own', () => {
    expect(settingsOf(['--target', 'https://api.example.com/v1'])).toMatchObject({
      target: 'https://api.example.com/v1',
      chaos: 0,
    });
  });

  it('asks for help with --help or -h', () => {
    expect(parseFlags(['--help'])).toEqual({ help: true });
    expect(parseFlags(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--items'], "Option '--items <value>' argument missing"],
    [['extra'], "Unexpected argument 'extra'"],
    [['--chaos', '1.5'], '--chaos expects a fraction from 0 to 1'],
    [['--chaos', 'lots'], '--chaos expects a fraction from 0 to 1'],
    [['--rate', '0'], '--rate expects requests per second, above 0 and at most 10000'],
    [['--items', '2.5'], '--items expects a whole number from 1 to 20000'],
    [['--items', '0'], '--items expects a whole number from 1 to 20000'],
    [['--items', '1e3'], '--items expects a whole number from 1 to 20000'],
    [['--seed', '-1'], "Option '--seed' argument is ambiguous"],
    [['--seed=-1'], '--seed expects a whole number from 0 to 4294967295'],
    [['--target', 'ftp://example.com'], '--target expects an absolute http(s) URL'],
    [['--target', 'not a url'], '--target expects an absolute http(s) URL'],
    [['--target', 'https://api.example.com', '--chaos', '0.1'], '--chaos applies to the embedded API, not to --target'],
    [['--target', 'https://api.example.com', '--items', '10'], '--items applies to the embedded API, not to --target'],
  ])('refuses %j with a message that says why', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(UsageError);
    expect(() => parseFlags(argv)).toThrow(message);
  });
});
