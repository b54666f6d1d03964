import { describe, expect, it } from 'vitest';
import { SimClock, TimerSet } from './clock.ts';
import { Random, hashString } from './random.ts';

describe('SimClock', () => {
  it('divides simulated durations by the time scale and multiplies elapsed real time', () => {
    let now = 1_000;
    const clock = new SimClock({ timeScale: 60, now: () => now });
    expect(clock.toRealMs(60_000)).toBe(1_000);
    now = 1_500;
    expect(clock.simElapsedSince(1_000)).toBe(30_000);
  });

  it('refuses a time scale that is not positive', () => {
    expect(() => new SimClock({ timeScale: 0 })).toThrow(RangeError);
  });
});

describe('TimerSet', () => {
  it('runs timers until stopped, then none, and wakes sleepers at once', async () => {
    const timers = new TimerSet();
    const fired: string[] = [];
    timers.after(1, () => fired.push('a'));
    await new Promise((r) => setTimeout(r, 10));
    timers.after(5, () => fired.push('b'));
    const sleeping = timers.sleep(60_000);
    timers.stop();
    await sleeping;
    await new Promise((r) => setTimeout(r, 10));
    expect(fired).toEqual(['a']);
    expect(timers.size).toBe(0);
    timers.after(1, () => fired.push('c'));
    expect(timers.size).toBe(0);
  });
});

describe('Random', () => {
  it('repeats its draws for the same seed and differs for another', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const draws = (r: Random) => [r.next(), r.int(1, 6), r.between(2, 3)];
    expect(draws(a)).toEqual(draws(b));
    expect(draws(new Random(42))).not.toEqual(draws(c));
  });

  it('keeps integers within their bounds', () => {
    const r = new Random(hashString('team-a/pi'));
    for (let i = 0; i < 200; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
  });
});
