import { describe, expect, it } from 'vitest';
import {
  QUANTITY_FORMAT_ERROR,
  QuantityParseError,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  maxQuantity,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  subtractQuantities,
  tryParseQuantity,
  zeroQuantity,
} from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['500m', 500_000_000n, 'DecimalSI'],
    ['2', 2_000_000_000n, 'DecimalSI'],
    ['1.5', 1_500_000_000n, 'DecimalSI'],
    ['.5', 500_000_000n, 'DecimalSI'],
    ['1Gi', 1_073_741_824_000_000_000n, 'BinarySI'],
    ['512Mi', 536_870_912_000_000_000n, 'BinarySI'],
    ['1e3', 1_000_000_000_000n, 'DecimalExponent'],
    ['1k', 1_000_000_000_000n, 'DecimalSI'],
    ['1M', 1_000_000_000_000_000n, 'DecimalSI'],
    ['-250m', -250_000_000n, 'DecimalSI'],
    ['100n', 100n, 'DecimalSI'],
  ] as const)('reads %s exactly, in nano-units', (text, nanos, format) => {
    expect(parseQuantity(text)).toEqual({ nanos, format });
  });

  it('reads JSON numbers, as int-or-string fields carry them', () => {
    expect(parseQuantity(4)).toEqual({ nanos: 4_000_000_000n, format: 'DecimalSI' });
    expect(parseQuantity(0.25)).toEqual({ nanos: 250_000_000n, format: 'DecimalSI' });
  });

  it('rounds precision finer than a nano-unit up, away from zero', () => {
    expect(parseQuantity('0.0000000001').nanos).toBe(1n);
    expect(parseQuantity('-0.0000000001').nanos).toBe(-1n);
  });

  it.each(['', 'abc', '1.2.3', '1K', '1Gb', 'Gi', '1 Gi', '--1', '1e'])('refuses %j with the real error message', (text) => {
    expect(() => parseQuantity(text)).toThrow(QuantityParseError);
    expect(() => parseQuantity(text)).toThrow(QUANTITY_FORMAT_ERROR);
  });

  it('tryParseQuantity answers undefined for unparsable text and non-quantity values', () => {
    expect(tryParseQuantity('nope')).toBeUndefined();
    expect(tryParseQuantity(true)).toBeUndefined();
    expect(tryParseQuantity({ cpu: 1 })).toBeUndefined();
    expect(tryParseQuantity('2')).toEqual(parseQuantity('2'));
  });
});

describe('formatQuantity', () => {
  it.each([
    ['2', '2'],
    ['500m', '500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1000m', '1'],
    ['2000', '2k'],
    ['1500', '1500'],
    ['1k', '1k'],
    ['1M', '1M'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['12e6', '12e6'],
    ['1Gi', '1Gi'],
    ['512Mi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1024', '1024'],
    ['1536Ki', '1536Ki'],
    ['1.5Ki', '1536'],
    ['0.5Ki', '512'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1Gi', '-1Gi'],
    ['100n', '100n'],
    ['1u', '1u'],
  ])('prints %s as %s, the canonical form', (text, canonical) => {
    expect(canonicalQuantity(text)).toBe(canonical);
  });

  it('prints a binary value that is not a whole number decimally, to lose nothing', () => {
    expect(formatQuantity({ nanos: 2_048_500_000_000n, format: 'BinarySI' })).toBe('2048500m');
  });
});

describe('quantity arithmetic', () => {
  it('adds exactly and keeps the format of the left operand', () => {
    const sum = addQuantities(parseQuantity('512Mi'), parseQuantity('1G'));
    expect(sum.format).toBe('BinarySI');
    expect(sum.nanos).toBe(parseQuantity('512Mi').nanos + 1_000_000_000n * 1_000_000_000n);
    expect(formatQuantity(addQuantities(parseQuantity('512Mi'), parseQuantity('512Mi')))).toBe('1Gi');
    expect(formatQuantity(addQuantities(parseQuantity('7'), parseQuantity('500m')))).toBe('7500m');
  });

  it('takes the format of the right operand when adding to zero, as usage sums start from zero', () => {
    expect(formatQuantity(addQuantities(zeroQuantity(), parseQuantity('1Gi')))).toBe('1Gi');
  });

  it('subtracts, going negative when it must', () => {
    expect(formatQuantity(subtractQuantities(parseQuantity('2'), parseQuantity('500m')))).toBe('1500m');
    expect(formatQuantity(subtractQuantities(parseQuantity('1Gi'), parseQuantity('1536Mi')))).toBe('-512Mi');
  });

  it('compares across suffix families', () => {
    expect(compareQuantities(parseQuantity('1Gi'), parseQuantity('1G'))).toBe(1);
    expect(compareQuantities(parseQuantity('1000m'), parseQuantity('1'))).toBe(0);
    expect(compareQuantities(parseQuantity('999m'), parseQuantity('1'))).toBe(-1);
    expect(maxQuantity(parseQuantity('1'), parseQuantity('1500m'))).toEqual(parseQuantity('1500m'));
  });

  it('rounds whole and milli values up, as Value and MilliValue do', () => {
    expect(quantityValue(parseQuantity('1500m'))).toBe(2n);
    expect(quantityValue(parseQuantity('1Ki'))).toBe(1024n);
    expect(quantityMilliValue(parseQuantity('1.5'))).toBe(1500n);
    expect(quantityMilliValue(parseQuantity('1n'))).toBe(1n);
  });
});
