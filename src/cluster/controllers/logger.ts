// The logging the controllers need. pino's Logger fits it, and so does console. Callers format
// the whole message themselves: pino interpolates extra arguments only through placeholders.

export interface Logger {
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
}

export const SILENT_LOGGER: Logger = {
  info() {},
  warn() {},
  error() {},
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
