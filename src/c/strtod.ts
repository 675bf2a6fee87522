/**
 * strtod and atof: the floating-point number at the start of a string, as glibc's strtod reads
 * it — leading white space, a sign, then `inf`/`infinity`, `nan` or `nan(...)`, a hexadecimal
 * number (`0x`, hex digits with a point, a binary exponent `p`) or a decimal one (digits with a
 * point, an exponent `e`), correctly rounded; where the number ends (`endptr`: the string's
 * start when there is none); ERANGE when the value overflows to infinity or is below the
 * smallest normal double. Checked against real runs: tests/fixtures/c/strtod/.
 *
 * @module
 */

/** What strtod read: the value, how many characters it took (0: no number), the errno to set. */
export interface ParsedDouble {
  readonly value: number;
  readonly length: number;
  readonly range: boolean;
}

const SPACE = /^[ \t\n\v\f\r]*/;
const SMALLEST_NORMAL = 2.2250738585072014e-308;

/** The number at the start of `text` (one char per byte), as glibc's strtod reads it. */
export function parseDouble(text: string): ParsedDouble {
  let at = SPACE.exec(text)![0].length;
  let sign = 1;
  if (text[at] === "+" || text[at] === "-") sign = text[at++] === "-" ? -1 : 1;
  const rest = text.slice(at).toLowerCase();
  const done = (value: number, length: number, nonzero = false): ParsedDouble => {
    // ERANGE: an overflow to infinity, or a nonzero number below the smallest normal double
    const range = value === Infinity ? nonzero : nonzero && value < SMALLEST_NORMAL;
    return { value: sign * value, length: at + length, range };
  };
  const none: ParsedDouble = { value: 0, length: 0, range: false };
  if (rest.startsWith("infinity")) return done(Infinity, 8);
  if (rest.startsWith("inf")) return done(Infinity, 3);
  if (rest.startsWith("nan")) {
    const paren = /^nan\([0-9a-z_]*\)/.exec(rest);
    return done(NaN, paren ? paren[0].length : 3);
  }
  const hex = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?/.exec(rest);
  if (hex && (hex[1] + (hex[2] ?? "")).length > 0) {
    const digits = hex[1] + (hex[2] ?? "");
    let length = hex[0].length, exponent = -4 * (hex[2] ?? "").length;
    const p = /^p([+-]?\d+)/.exec(rest.slice(length));
    if (p) {
      exponent += Number(p[1]);
      length += p[0].length;
    }
    const mantissa = BigInt("0x" + digits);
    return done(scaleByPowerOfTwo(mantissa, exponent), length, mantissa !== 0n);
  }
  // "0x" with no hex digit after it is the number 0, ending before the x
  const decimal = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
  if ((decimal[1] + (decimal[2] ?? "")).length === 0) return none;
  let length = decimal[0].length;
  const e = /^e([+-]?\d+)/.exec(rest.slice(length));
  if (e) length += e[0].length;
  return done(Number(rest.slice(0, length)), length, /[1-9]/.test(decimal[0]));
}

/** `mantissa · 2^exponent`: exact while in range, a mantissa below 2^53 read exactly. */
function scaleByPowerOfTwo(mantissa: bigint, exponent: number): number {
  let value = Number(mantissa);
  for (; exponent > 0; exponent -= Math.min(exponent, 1000)) value *= 2 ** Math.min(exponent, 1000);
  for (; exponent < 0; exponent += Math.min(-exponent, 1000)) {
    value /= 2 ** Math.min(-exponent, 1000);
  }
  return value;
}
