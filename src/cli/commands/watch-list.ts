// `mpijob list --watch`: the table first, then one row per change as the gateway reports it
// (kubectl get -w style), or one JSON document per line with -o json. Filters the gateway's
// change stream cannot apply (phase, label selector) are applied here.

import type { Job, JobChange, ListJobsOptions } from '../../sdk/client.ts';
import { EXIT_OK } from '../args.ts';
import type { CommandContext } from '../context.ts';
import { renderTable, visibleLength } from '../format.ts';
import { jobRecord } from '../records.ts';
import { jobRow, jobRows, type JobTableOptions } from '../job-table.ts';

export interface WatchListOptions {
  filter: Pick<ListJobsOptions, 'namespace' | 'phases' | 'labelSelector'>;
  initial: readonly Job[];
  format: 'table' | 'wide' | 'json' | 'yaml' | 'name';
  allNamespaces: boolean;
  scope: string;
}

/** A table whose column widths are fixed by its first rows, so later rows line up with them. */
class RowPrinter {
  private widths: number[] = [];
  private readonly write: (text: string) => void;

  constructor(write: (text: string) => void) {
    this.write = write;
  }

  table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    this.widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
    this.write(renderTable(headers, rows));
  }

  row(cells: readonly string[]): void {
    const line = cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (this.widths[i] ?? 0) - visibleLength(cell)))))
      .join('   ');
    this.write(`${line.trimEnd()}\n`);
  }
}

export async function watchList(ctx: CommandContext, options: WatchListOptions): Promise<number> {
  const { filter, format } = options;
  const client = ctx.client();
  const printer = new RowPrinter((text) => ctx.print(text));
  const table = (): JobTableOptions => ({ allNamespaces: options.allNamespaces, wide: format === 'wide', now: ctx.io.now(), painter: ctx.out });
  const emit = (type: JobChange['type'], job: Job): void => {
    if (format === 'json') ctx.print(`${JSON.stringify({ type, job: jobRecord(job) })}\n`);
    else if (format === 'yaml') ctx.printStructured('yaml', { type, job: jobRecord(job) });
    else if (format === 'name') ctx.print(`${job.namespace}/${job.name}\n`);
    else printer.row(jobRow(job, table(), type === 'DELETED' ? 'DELETED' : job.phase));
    if (format === 'yaml') ctx.print('---\n');
  };
  const showAll = (jobs: readonly Job[]): void => {
    if (format === 'table' || format === 'wide') {
      const { headers, rows } = jobRows(jobs, table());
      printer.table(headers, rows);
    } else {
      for (const job of jobs) emit('ADDED', job);
    }
  };
  const matches = async (job: Job): Promise<boolean> => {
    if (filter.phases && filter.phases.length > 0 && !filter.phases.includes(job.phase)) return false;
    if (!filter.labelSelector) return true;
    // The gateway evaluates selectors; asking it keeps one definition of what they mean.
    const found = await client.listJobs({ namespace: job.namespace, labelSelector: filter.labelSelector, search: job.name, all: true, signal: ctx.io.signal });
    return found.jobs.some((j) => j.namespace === job.namespace && j.name === job.name);
  };

  if (options.initial.length === 0 && (format === 'table' || format === 'wide')) ctx.warn(`No jobs in ${options.scope} yet; watching.\n`);
  showAll(options.initial);
  const changes = client.watchJobs({ ...(filter.namespace ? { namespace: filter.namespace } : {}), signal: ctx.io.signal });
  for await (const change of changes) {
    if (change.type === 'RESYNC' || !change.job) {
      const list = await client.listJobs({ ...filter, all: true, signal: ctx.io.signal });
      showAll(list.jobs);
      continue;
    }
    if (change.type === 'DELETED' || (await matches(change.job))) emit(change.type, change.job);
  }
  return EXIT_OK;
}
