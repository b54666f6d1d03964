import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../sdk/client.ts';
import { Painter } from '../format.ts';
import { linePrefix } from './logs.ts';

function line(extra: Partial<LogLine>): LogLine {
  return { pod: 'pi-launcher-x', role: 'LAUNCHER', rank: null, container: 'launcher', timestamp: null, text: 'hello', stream: null, seq: 1, ...extra };
}

describe('linePrefix', () => {
  const plain = new Painter(false);

  it('names the rank, or the launcher or worker pod for lines without one', () => {
    expect(linePrefix(line({ rank: 3 }), plain, true)).toBe('[rank 3] ');
    expect(linePrefix(line({}), plain, true)).toBe('[launcher] ');
    expect(linePrefix(line({ pod: 'pi-worker-1', role: 'WORKER' }), plain, true)).toBe('[pi-worker-1] ');
  });

  it('is empty when a single rank is shown', () => {
    expect(linePrefix(line({ rank: 3 }), plain, false)).toBe('');
  });

  it('colours ranks apart on a terminal', () => {
    const colour = new Painter(true);
    expect(linePrefix(line({ rank: 0 }), colour, true)).not.toBe(linePrefix(line({ rank: 1 }), colour, true));
  });
});
