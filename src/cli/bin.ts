// The process around runCli: Ctrl-C aborts the running command (streams end, waits stop) and a
// second one exits at once; the exit code is set, not forced, so output is flushed first.

import { cliVersion, runCli } from './main.ts';
import { processIo } from './context.ts';

/** Exit code of a process stopped by SIGINT, as shells report it (128 + 2). */
const EXIT_INTERRUPTED = 130;

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
  interrupt.abort();
});

const code = await runCli(process.argv.slice(2), processIo(interrupt.signal, `mpijob/${cliVersion()} node/${process.versions.node}`));
process.exitCode = interrupt.signal.aborted && code === 0 ? EXIT_INTERRUPTED : code;
