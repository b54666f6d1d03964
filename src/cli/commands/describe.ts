// `mpijob describe NAME`: the spec in brief, conditions, launcher and workers by rank, recent
// events and the gateway's diagnosis (why it is pending, which rank failed and why).

import type { JobDetail } from '../../sdk/client.ts';
import { EXIT_OK, HELP_OPTION, NAMESPACE_OPTION, jobName, stringOption, type ParsedArgs } from '../args.ts';
import { outputFormat, type Command, type CommandContext } from '../context.ts';
import { age, phaseColour, renderFields, renderTable, seconds, shellWords, type Painter } from '../format.ts';
import { jobDetailRecord, jobRecord, podRecord, podsByRank } from '../records.ts';

const NAME = 'describe';
const OUTPUTS = ['text', 'json', 'yaml'] as const;
const INDENT = '  ';

export const HELP = `Show a job in detail: spec, conditions, pods by rank, recent events and a diagnosis.

Usage:
  mpijob describe NAME [-n NS] [-o json|yaml]

Options:
  -n, --namespace NS   namespace (default: from mpijob login, else "default")
  -o, --output FORMAT  json or yaml: the list record plus conditions, pods, events, diagnosis
  -h, --help           this help
`;

const OPTIONS = { ...HELP_OPTION, ...NAMESPACE_OPTION, output: { type: 'string', short: 'o' } } as const;

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${INDENT}${line}`))
    .join('\n');
}

function resourcesText(list: ReadonlyArray<{ name: string; quantity: string }>): string {
  return list.map((q) => `${q.name} ${q.quantity}`).join(', ');
}

export function renderDescription(job: JobDetail, now: number, painter: Painter): string {
  const record = jobRecord(job);
  const worker = job.spec.worker;
  const perWorker = worker ? resourcesText(worker.resourcesPerPod.requests) : '';
  const fields: Array<[string, string]> = [
    ['Name', job.name],
    ['Namespace', job.namespace],
    ['Phase', painter.paint(job.phase, phaseColour(job.phase))],
    ['Queue', job.queue ?? '<none>'],
    ['Created', job.createdAt ? `${job.createdAt} (${age(job.createdAt, now)} ago)` : '<unknown>'],
    ['Started', job.status.startTime ?? '-'],
    ['Completed', job.status.completionTime ?? '-'],
    ['Duration', seconds(job.status.durationSeconds)],
    ['Image', record.image ?? '<none>'],
    ['Command', record.command.length > 0 ? shellWords(record.command) : '<image default>'],
    ['Workers', `${worker?.replicas ?? 0} x ${job.spec.slotsPerWorker} slot${job.spec.slotsPerWorker === 1 ? '' : 's'}${perWorker ? `, each requesting ${perWorker}` : ''}`],
    ['Total requests', resourcesText(job.spec.totalResources.requests) || '<none>'],
    [
      'Run policy',
      [
        `cleanPodPolicy ${job.spec.runPolicy.cleanPodPolicy ?? '-'}`,
        `backoffLimit ${job.spec.runPolicy.backoffLimit ?? '-'}`,
        `suspend ${job.spec.runPolicy.suspend}`,
        ...(job.spec.runPolicy.activeDeadlineSeconds === null ? [] : [`activeDeadlineSeconds ${job.spec.runPolicy.activeDeadlineSeconds}`]),
        ...(job.spec.runPolicy.ttlSecondsAfterFinished === null ? [] : [`ttlSecondsAfterFinished ${job.spec.runPolicy.ttlSecondsAfterFinished}`]),
      ].join(', '),
    ],
  ];
  let text = renderFields(fields);

  text += '\nConditions:\n';
  text +=
    job.status.conditions.length === 0
      ? `${INDENT}<none>\n`
      : indent(
          renderTable(
            ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
            job.status.conditions.map((c) => [c.type, c.status, c.reason ?? '', age(c.lastTransitionTime, now), c.message ?? '']),
          ),
        );

  text += '\nPods:\n';
  const pods = podsByRank(job).map(podRecord);
  text +=
    pods.length === 0
      ? `${INDENT}<none>\n`
      : indent(
          renderTable(
            ['ROLE', 'RANK', 'NAME', 'PHASE', 'READY', 'RESTARTS', 'NODE', 'REASON', 'EXIT'],
            pods.map((p) => [
              p.role ?? '-',
              p.rank === null ? '-' : String(p.rank),
              p.name,
              painter.paint(p.phase, phaseColour(p.phase)),
              p.ready ? 'yes' : 'no',
              String(p.restarts),
              p.node ?? '-',
              p.reason ?? '',
              p.exitCode === null ? '' : String(p.exitCode),
            ]),
          ),
        );

  text += `\nEvents (${Math.min(job.events.nodes.length, job.events.totalCount)} of ${job.events.totalCount}, newest first):\n`;
  text +=
    job.events.nodes.length === 0
      ? `${INDENT}<none>\n`
      : indent(
          renderTable(
            ['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
            job.events.nodes.map((e) => [
              age(e.lastSeen, now),
              e.type === 'WARNING' ? painter.paint('Warning', 'yellow') : 'Normal',
              e.reason ?? '',
              [e.involvedObject.kind?.toLowerCase(), e.involvedObject.name].filter(Boolean).join('/'),
              e.message ?? '',
            ]),
          ),
        );

  const diagnosis = job.diagnosis;
  const colour = diagnosis.kind === 'FAILED' || diagnosis.kind === 'INVALID_SPEC' ? 'red' : diagnosis.kind === 'SUCCEEDED' ? 'green' : diagnosis.kind === 'RUNNING' ? undefined : 'yellow';
  text += `\nDiagnosis: ${painter.paint(diagnosis.kind, colour)}\n${INDENT}${diagnosis.summary}\n`;
  for (const detail of diagnosis.details) text += `${INDENT}- ${detail}\n`;
  for (const pending of diagnosis.pendingPods) {
    text += `${INDENT}- ${pending.pod.name}: ${[pending.reason, pending.message].filter(Boolean).join(': ') || 'pending'}\n`;
  }
  return text;
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const name = jobName(NAME, args.positionals);
  const namespace = ctx.namespace(stringOption(args.values, 'namespace'));
  const format = outputFormat(NAME, stringOption(args.values, 'output'), OUTPUTS, 'text');
  const job = await ctx.client().getJob(namespace, name, ctx.io.signal);
  if (format === 'text') ctx.print(renderDescription(job, ctx.io.now(), ctx.out));
  else ctx.printStructured(format, jobDetailRecord(job));
  return EXIT_OK;
}

export const describeCommand: Command = { name: NAME, summary: 'show a job: spec, pods by rank, events, diagnosis', help: HELP, options: OPTIONS, run };
