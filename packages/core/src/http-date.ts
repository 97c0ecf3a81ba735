const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime() forms recipients must accept.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC_850 = /^[A-Z][a-z]{5,8}, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) strictly, always as GMT, into epoch milliseconds.
 * Anything else, including dates that `Date.parse` would guess at, gives `undefined`.
 * @example
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'); // 784111777000
 */
export function parseHttpDate(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const imf = IMF_FIXDATE.exec(text);
  const rfc850 = imf ? null : RFC_850.exec(text);
  const asctime = imf || rfc850 ? null : ASCTIME.exec(text);
  // Normalised to [whole, day, month, year, hour, minute, second].
  const parts =
    imf ?? rfc850 ?? (asctime && [asctime[0], asctime[2], asctime[1], asctime[6], asctime[3], asctime[4], asctime[5]]);
  if (!parts) return undefined;
  let year = Number(parts[3]);
  if (rfc850) {
    // A two-digit year more than 50 years ahead means the most recent past year with those digits.
    const current = new Date(nowMs).getUTCFullYear();
    year += Math.floor(current / 100) * 100;
    if (year > current + 50) year -= 100;
  }
  const month = MONTHS.indexOf(parts[2] as string) / 3;
  const [day, hour, minute, second] = [parts[1], parts[4], parts[5], parts[6]].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (!Number.isInteger(month) || month < 0 || hour > 23 || minute > 59 || second > 60) return undefined;
  const time = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // Reject days that Date.UTC would roll over (31 Feb).
  return new Date(time).getUTCDate() === day ? time : undefined;
}
