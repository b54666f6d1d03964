// A status line while the CLI waits: a spinner redrawn in place on a terminal, or one plain line
// per change when stderr is a pipe or a file (CI logs stay readable). Always on stderr, so
// stdout carries only results.

import type { OutputStream } from './context.ts';

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_INTERVAL_MS = 100;
const CLEAR_LINE = '\r\u001b[2K';

export class Progress {
  private readonly stream: OutputStream;
  private readonly animated: boolean;
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(stream: OutputStream) {
    this.stream = stream;
    this.animated = stream.isTTY === true;
  }

  /** Shows `text`; on a pipe only when it differs from the last line shown. */
  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.animated) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.draw();
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), SPINNER_INTERVAL_MS);
      // A spinner must never keep the process alive on its own.
      this.timer.unref();
    }
  }

  /** Removes the spinner line (a terminal) so the final message starts on a clean line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.animated && this.text !== '') this.stream.write(CLEAR_LINE);
    this.text = '';
  }

  private draw(): void {
    const glyph = SPINNER_FRAMES[this.frame % SPINNER_FRAMES.length] ?? '';
    this.frame += 1;
    this.stream.write(`${CLEAR_LINE}${glyph} ${this.text}`);
  }
}
