import { describe, expect, it } from 'vitest';
import { Progress } from './progress.ts';

function stream(isTTY: boolean): { isTTY: boolean; text: string; write(t: string): void } {
  return {
    isTTY,
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

describe('Progress', () => {
  it('writes one plain line per change when the stream is not a terminal', () => {
    const out = stream(false);
    const progress = new Progress(out);
    progress.update('team-a/pi: PENDING');
    progress.update('team-a/pi: PENDING');
    progress.update('team-a/pi: RUNNING');
    progress.stop();
    expect(out.text).toBe('team-a/pi: PENDING\nteam-a/pi: RUNNING\n');
  });

  it('redraws one line in place on a terminal and clears it when stopped', () => {
    const out = stream(true);
    const progress = new Progress(out);
    progress.update('waiting');
    progress.stop();
    expect(out.text).toMatch(/^\r\u001b\[2K. waiting\r\u001b\[2K$/);
    expect(out.text).not.toContain('\n');
  });
});
