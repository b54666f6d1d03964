// Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`) as exact integers of nano-units, so
// sums and comparisons of CPU, memory and GPU requests never suffer from float rounding.
// The gateway has its own copy of this arithmetic because it imports nothing from the emulator.

const NANO_PER_UNIT = 1_000_000_000n;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const QUANTITY_PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

export type QuantityFormat = 'decimal' | 'binary';

export interface Quantity {
  /** The value in units of 10^-9 (nano-cores, nano-bytes). */
  nano: bigint;
  /** The suffix family the value was written in; output keeps it (`Mi` stays binary). */
  format: QuantityFormat;
}

export class QuantityParseError extends Error {
  constructor(text: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got "${text}")`);
    this.name = 'QuantityParseError';
  }
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Divides rounding away from zero, as Kubernetes rounds quantities up to the smallest unit. */
function divideUp(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return quotient * denominator === numerator ? quotient : quotient + (numerator > 0n ? 1n : -1n);
}

export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const match = QUANTITY_PATTERN.exec(text);
  if (!match) throw new QuantityParseError(text);
  const [, sign = '', number = '', suffix, exponentText] = match;
  const [whole = '', fraction = ''] = number.split('.');
  const digits = BigInt(`${whole}${fraction}` || '0');
  // value = digits * 10^-fraction.length * scale; scale is 10^e or 2^k.
  let nano: bigint;
  let format: QuantityFormat = 'decimal';
  if (suffix !== undefined && suffix in BINARY_SUFFIXES) {
    format = 'binary';
    const multiplier = 2n ** BigInt(BINARY_SUFFIXES[suffix] ?? 0) * NANO_PER_UNIT;
    nano = divideUp(digits * multiplier, pow10(fraction.length));
  } else {
    const exponent = exponentText !== undefined ? Number(exponentText) : (DECIMAL_SUFFIXES[suffix ?? ''] ?? 0);
    const shift = exponent + 9 - fraction.length;
    nano = shift >= 0 ? digits * pow10(shift) : divideUp(digits, pow10(-shift));
  }
  return { nano: sign === '-' ? -nano : nano, format };
}

export function isValidQuantity(input: string): boolean {
  return QUANTITY_PATTERN.test(input.trim());
}

export function quantity(nano: bigint, format: QuantityFormat = 'decimal'): Quantity {
  return { nano, format };
}

export const ZERO: Quantity = { nano: 0n, format: 'decimal' };

export function add(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function subtract(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function multiply(a: Quantity, factor: number): Quantity {
  return { nano: a.nano * BigInt(factor), format: a.format };
}

export function compare(a: Quantity, b: Quantity): number {
  return a.nano === b.nano ? 0 : a.nano < b.nano ? -1 : 1;
}

export function max(a: Quantity, b: Quantity): Quantity {
  return compare(a, b) >= 0 ? a : b;
}

/** The value in whole units (cores, bytes, GPUs) as a float, for ratios and display. */
export function toNumber(q: Quantity): number {
  return Number(q.nano) / 1e9;
}

/**
 * The canonical text Kubernetes prints: the largest suffix that divides the value exactly,
 * `m`/`u`/`n` for fractions (`1500m`, `1536Mi`, `2`).
 */
export function formatQuantity(q: Quantity): string {
  const negative = q.nano < 0n;
  const nano = negative ? -q.nano : q.nano;
  const sign = negative ? '-' : '';
  if (nano === 0n) return '0';
  if (nano % NANO_PER_UNIT !== 0n) {
    if (nano % 1_000_000n === 0n) return `${sign}${nano / 1_000_000n}m`;
    if (nano % 1_000n === 0n) return `${sign}${nano / 1_000n}u`;
    return `${sign}${nano}n`;
  }
  const units = nano / NANO_PER_UNIT;
  if (q.format === 'binary') {
    const suffixes = Object.entries(BINARY_SUFFIXES).reverse();
    for (const [suffix, power] of suffixes) {
      const base = 2n ** BigInt(power);
      if (units % base === 0n) return `${sign}${units / base}${suffix}`;
    }
    return `${sign}${units}`;
  }
  const decimal = Object.entries(DECIMAL_SUFFIXES)
    .filter(([, exponent]) => exponent > 0)
    .reverse();
  for (const [suffix, exponent] of decimal) {
    const base = pow10(exponent);
    if (units % base === 0n) return `${sign}${units / base}${suffix}`;
  }
  return `${sign}${units}`;
}

/** Parses a `ResourceList` (`{cpu: "2", memory: "4Gi"}`); values that do not parse are skipped. */
export function parseResourceList(list: Record<string, unknown> | undefined): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!list) return out;
  for (const [name, value] of Object.entries(list)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      out.set(name, parseQuantity(value));
    } catch (error) {
      if (!(error instanceof QuantityParseError)) throw error;
    }
  }
  return out;
}

export function addResourceLists(a: Map<string, Quantity>, b: Map<string, Quantity>): Map<string, Quantity> {
  const out = new Map(a);
  for (const [name, value] of b) out.set(name, add(out.get(name) ?? ZERO, value));
  return out;
}

export function scaleResourceList(list: Map<string, Quantity>, factor: number): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, value] of list) out.set(name, multiply(value, factor));
  return out;
}
