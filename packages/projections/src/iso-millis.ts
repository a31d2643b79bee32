const zero = 48;

/** The number written in text[start, end) in decimal digits, or NaN if any character is not a digit. */
const digits = (text: string, start: number, end: number): number => {
  let value = 0;
  for (let index = start; index < end; index++) {
    const digit = text.charCodeAt(index) - zero;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
};

const daysIn = (year: number, month: number): number => {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
};

/**
 * Date.parse(text), read directly when the text is in the form toISOString writes (`2025-01-31T23:59:59.999Z`),
 * which is how the ledger records every time; anything else, and any field out of its range, goes to Date.parse.
 * Replay turns four or five times per payment into milliseconds, and Date.parse cost a fifth of the payments
 * model's time. A property test holds it equal to Date.parse.
 */
export const isoMillis = (text: string): number => {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return Date.parse(text);
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  const millisecond = digits(text, 20, 23);
  // NaN fails every comparison below. Years before 100 go to Date.parse: Date.UTC reads 0..99 as 1900..1999.
  const inRange =
    year >= 100 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    millisecond >= 0;
  return inRange ? Date.UTC(year, month - 1, day, hour, minute, second, millisecond) : Date.parse(text);
};
