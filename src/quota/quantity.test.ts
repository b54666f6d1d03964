import { describe, expect, it } from 'vitest';
import {
  add,
  compare,
  formatQuantity,
  isValidQuantity,
  multiply,
  parseQuantity,
  parseResourceList,
  subtract,
  toNumber,
} from './quantity.ts';

describe('parseQuantity', () => {
  it('reads millicores, whole cores and fractions as exact nano-units', () => {
    expect(parseQuantity('500m').nano).toBe(500_000_000n);
    expect(parseQuantity('2').nano).toBe(2_000_000_000n);
    expect(parseQuantity('0.1').nano).toBe(100_000_000n);
    expect(parseQuantity('.5').nano).toBe(500_000_000n);
    expect(parseQuantity(3).nano).toBe(3_000_000_000n);
  });

  it('reads binary and decimal suffixes and exponents', () => {
    expect(toNumber(parseQuantity('1Gi'))).toBe(1024 ** 3);
    expect(toNumber(parseQuantity('1.5Gi'))).toBe(1.5 * 1024 ** 3);
    expect(toNumber(parseQuantity('2k'))).toBe(2000);
    expect(toNumber(parseQuantity('1e3'))).toBe(1000);
    expect(toNumber(parseQuantity('1E3'))).toBe(1000);
    expect(toNumber(parseQuantity('1E'))).toBe(1e18);
    expect(parseQuantity('1Gi').format).toBe('binary');
    expect(parseQuantity('1G').format).toBe('decimal');
  });

  it('rejects text that is not a quantity', () => {
    expect(() => parseQuantity('two')).toThrow(/quantities must match/);
    expect(() => parseQuantity('1GB')).toThrow();
    expect(isValidQuantity('1Gi')).toBe(true);
    expect(isValidQuantity('1 Gi')).toBe(false);
  });
});

describe('formatQuantity', () => {
  it('prints the canonical form Kubernetes prints', () => {
    expect(formatQuantity(parseQuantity('1000m'))).toBe('1');
    expect(formatQuantity(parseQuantity('1500m'))).toBe('1500m');
    expect(formatQuantity(parseQuantity('1024Mi'))).toBe('1Gi');
    expect(formatQuantity(parseQuantity('2000'))).toBe('2k');
    expect(formatQuantity(parseQuantity('0'))).toBe('0');
    expect(formatQuantity(parseQuantity('-500m'))).toBe('-500m');
  });

  it('keeps the binary family through arithmetic', () => {
    const sum = add(parseQuantity('1Gi'), parseQuantity('512Mi'));
    expect(formatQuantity(sum)).toBe('1536Mi');
    expect(formatQuantity(multiply(parseQuantity('2Gi'), 4))).toBe('8Gi');
    expect(formatQuantity(subtract(parseQuantity('8'), parseQuantity('500m')))).toBe('7500m');
  });
});

describe('resource lists', () => {
  it('parses a ResourceList and compares values exactly', () => {
    const list = parseResourceList({ cpu: '250m', memory: '1Gi', 'nvidia.com/gpu': 1, bogus: 'x' });
    expect([...list.keys()]).toEqual(['cpu', 'memory', 'nvidia.com/gpu']);
    expect(compare(list.get('cpu') ?? parseQuantity('0'), parseQuantity('0.25'))).toBe(0);
    expect(compare(parseQuantity('1'), parseQuantity('999m'))).toBe(1);
  });
});
