// The job table of `list` and `list --watch`: the columns kubectl users expect, NAMESPACE with
// -A, and DURATION, SLOTS, IMAGE with -o wide.

import type { Job } from '../sdk/client.ts';
import { age, phaseColour, seconds, type Painter } from './format.ts';
import { jobRecord } from './records.ts';

export interface JobTableOptions {
  allNamespaces: boolean;
  wide: boolean;
  now: number;
  painter: Painter;
}

export function jobHeaders(options: Pick<JobTableOptions, 'allNamespaces' | 'wide'>): string[] {
  return [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'PHASE', 'WORKERS', 'QUEUE', 'AGE', ...(options.wide ? ['DURATION', 'SLOTS', 'IMAGE'] : [])];
}

/** One row; `phase` replaces the job's own (a watch shows DELETED). */
export function jobRow(job: Job, options: JobTableOptions, phase: string = job.phase): string[] {
  const record = jobRecord(job);
  return [
    ...(options.allNamespaces ? [job.namespace] : []),
    job.name,
    options.painter.paint(phase, phaseColour(phase)),
    `${record.workers.active}/${record.workers.replicas}`,
    job.queue ?? '<none>',
    age(job.createdAt, options.now),
    ...(options.wide ? [seconds(job.status.durationSeconds), String(job.spec.slotsPerWorker), record.image ?? '<none>'] : []),
  ];
}

export function jobRows(jobs: readonly Job[], options: JobTableOptions): { headers: string[]; rows: string[][] } {
  return { headers: jobHeaders(options), rows: jobs.map((job) => jobRow(job, options)) };
}
