// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): exact values and the
// canonical text the API server prints (`500m`, `2`, `1Gi`, `1536Mi`, `1e3`). Values are kept as
// BigInt nano-units because that is the finest precision the real type keeps (it rounds anything
// finer up), so CPU millis and memory bytes are both exact.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value times 10^9. */
  readonly nanos: bigint;
  /** How the value is printed; parsing keeps the suffix family of the input. */
  readonly format: QuantityFormat;
}

/** The grammar the real parser accepts; its error message quotes it. */
export const QUANTITY_PATTERN_TEXT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY_PATTERN = new RegExp(QUANTITY_PATTERN_TEXT);
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN_TEXT}'`;

const NANOS_PER_UNIT = 1_000_000_000n;
const NANO_EXPONENT = -9;
const BINARY_BASE = 1024n;

const DECIMAL_SUFFIX_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_SUFFIX_POWERS: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

const DECIMAL_SUFFIX_BY_EXPONENT = new Map<number, string>(
  Object.entries(DECIMAL_SUFFIX_EXPONENTS).map(([suffix, exponent]) => [exponent, suffix]),
);
const BINARY_SUFFIX_BY_POWER = new Map<number, string>(
  Object.entries(BINARY_SUFFIX_POWERS).map(([suffix, power]) => [power, suffix]),
);

export class QuantityParseError extends Error {
  readonly input: string;

  constructor(input: string) {
    super(QUANTITY_FORMAT_ERROR);
    this.name = 'QuantityParseError';
    this.input = input;
  }
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Division that rounds away from zero, as the real parser rounds sub-nano precision. */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  if (quotient * denominator === numerator) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

interface Suffix {
  format: QuantityFormat;
  /** Power of ten (decimal and exponent forms). */
  exponent: number;
  /** Power of 1024 (binary form). */
  binaryPower: number;
}

function parseSuffix(text: string): Suffix | undefined {
  const decimal = DECIMAL_SUFFIX_EXPONENTS[text];
  if (decimal !== undefined) return { format: 'DecimalSI', exponent: decimal, binaryPower: 0 };
  const binary = BINARY_SUFFIX_POWERS[text];
  if (binary !== undefined) return { format: 'BinarySI', exponent: 0, binaryPower: binary };
  const exponent = /^[eE]([+-]?[0-9]+)$/.exec(text);
  if (exponent?.[1] !== undefined) {
    return { format: 'DecimalExponent', exponent: Number.parseInt(exponent[1], 10), binaryPower: 0 };
  }
  return undefined;
}

/** Parses `500m`, `2`, `1.5`, `1Gi`, `1e3`, or a JSON number; throws QuantityParseError. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const match = QUANTITY_PATTERN.exec(text);
  const numberPart = match?.[1];
  const suffixPart = match?.[2];
  if (numberPart === undefined || suffixPart === undefined) throw new QuantityParseError(text);

  const sign = numberPart.startsWith('-') ? -1n : 1n;
  const unsigned = numberPart.replace(/^[+-]/, '');
  const numberShape = /^([0-9]*)(?:\.([0-9]*))?$/.exec(unsigned);
  const whole = numberShape?.[1] ?? '';
  const fraction = numberShape?.[2] ?? '';
  if (!numberShape || whole.length + fraction.length === 0) throw new QuantityParseError(text);

  const suffix = parseSuffix(suffixPart);
  if (!suffix) throw new QuantityParseError(text);

  // value = digits * 10^(exponent - fractionDigits) * 1024^binaryPower, kept in nano-units.
  const digits = BigInt(`${whole}${fraction}` || '0');
  let numerator = digits * BINARY_BASE ** BigInt(suffix.binaryPower);
  let denominator = 1n;
  const scale = suffix.exponent - fraction.length - NANO_EXPONENT;
  if (scale >= 0) numerator *= pow10(scale);
  else denominator = pow10(-scale);
  return { nanos: sign * divideAwayFromZero(numerator, denominator), format: suffix.format };
}

/** Like parseQuantity, for values read from stored JSON: undefined for anything unparsable. */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch (error) {
    if (error instanceof QuantityParseError) return undefined;
    throw error;
  }
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function formatDecimal(nanos: bigint, format: 'DecimalSI' | 'DecimalExponent'): string {
  let mantissa = nanos;
  let exponent = NANO_EXPONENT;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  // Suffixes step by powers of a thousand, so the exponent goes down to the nearest multiple of 3.
  const excess = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(excess);
  exponent -= excess;
  if (exponent === 0) return mantissa.toString();
  const suffix = format === 'DecimalSI' ? DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) : undefined;
  return `${mantissa.toString()}${suffix ?? `e${exponent}`}`;
}

/** Canonical text, as the API server prints it back and in quota messages. */
export function formatQuantity(quantity: Quantity): string {
  const { nanos } = quantity;
  if (nanos === 0n) return '0';
  if (quantity.format === 'BinarySI') {
    const whole = nanos % NANOS_PER_UNIT === 0n;
    // Small or fractional binary values would need rounding, so the real server prints them decimally.
    if (!whole || abs(nanos) < BINARY_BASE * NANOS_PER_UNIT) return formatDecimal(nanos, 'DecimalSI');
    let amount = nanos / NANOS_PER_UNIT;
    let power = 0;
    while (amount % BINARY_BASE === 0n && BINARY_SUFFIX_BY_POWER.has(power + 1)) {
      amount /= BINARY_BASE;
      power += 1;
    }
    return `${amount.toString()}${BINARY_SUFFIX_BY_POWER.get(power) ?? ''}`;
  }
  return formatDecimal(nanos, quantity.format);
}

/** Parse and print again: `0.5` -> `500m`, `1.5Gi` -> `1536Mi`. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

export function zeroQuantity(format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: 0n, format };
}

export function isZeroQuantity(quantity: Quantity): boolean {
  return quantity.nanos === 0n;
}

/** The sum keeps the left operand's format, unless it is zero (as Quantity.Add does). */
export function addQuantities(left: Quantity, right: Quantity): Quantity {
  return { nanos: left.nanos + right.nanos, format: left.nanos === 0n ? right.format : left.format };
}

export function subtractQuantities(left: Quantity, right: Quantity): Quantity {
  return { nanos: left.nanos - right.nanos, format: left.nanos === 0n ? right.format : left.format };
}

export function compareQuantities(left: Quantity, right: Quantity): -1 | 0 | 1 {
  if (left.nanos === right.nanos) return 0;
  return left.nanos < right.nanos ? -1 : 1;
}

export function maxQuantity(left: Quantity, right: Quantity): Quantity {
  return compareQuantities(right, left) > 0 ? right : left;
}

/** Whole units, rounded up (Quantity.Value): `1500m` -> 2. */
export function quantityValue(quantity: Quantity): bigint {
  return divideAwayFromZero(quantity.nanos, NANOS_PER_UNIT);
}

/** Thousandths, rounded up (Quantity.MilliValue): `1.5` -> 1500. */
export function quantityMilliValue(quantity: Quantity): bigint {
  return divideAwayFromZero(quantity.nanos, NANOS_PER_UNIT / 1000n);
}
