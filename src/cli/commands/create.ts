// `mpijob create`: from a manifest (`-f job.yaml`, any kubeflow.org/v2beta1 MPIJob) or from
// flags, with `--dry-run` showing what the job would take of its namespace's quotas.

import { parse as parseYaml } from 'yaml';
import type { CreateJobResult, CreateMPIJobInput, JobPreview, ResourcesInput } from '../../sdk/client.ts';
import {
  CliError,
  EXIT_OK,
  HELP_OPTION,
  NAMESPACE_OPTION,
  UsageError,
  flag,
  integerOption,
  jobName,
  keyValues,
  stringOption,
  type ParsedArgs,
} from '../args.ts';
import { outputFormat, type Command, type CommandContext } from '../context.ts';
import { renderTable } from '../format.ts';
import { jobRecord } from '../records.ts';

const NAME = 'create';

const OUTPUTS = ['text', 'name', 'json', 'yaml'] as const;

export const HELP = `Create an MPIJob, from a manifest or from flags.

Usage:
  mpijob create -f FILE [-n NS] [--dry-run] [-o name|json|yaml]
  mpijob create NAME --image IMAGE [flags] [-- COMMAND ARGS...]

From a manifest:
  -f, --filename FILE     a kubeflow.org/v2beta1 MPIJob in YAML or JSON (- reads stdin);
                          -n is used when the manifest names no namespace

From flags (the words after -- are the launcher's command, e.g. mpirun -n 4 /app/train):
      --image IMAGE       image of the launcher and the workers (required)
      --workers N         number of workers (default 1)
      --slots N           MPI slots per worker (default 1)
      --cpu QTY           CPU request of each worker (500m, 2)
      --memory QTY        memory request of each worker (512Mi, 4Gi)
      --gpu N             GPUs (nvidia.com/gpu) of each worker
      --launcher-cpu QTY  CPU request of the launcher (default: the workers' --cpu)
      --launcher-memory QTY
                          memory request of the launcher (default: the workers' --memory)
      --queue NAME        Kueue LocalQueue (label kueue.x-k8s.io/queue-name)
      --env KEY=VALUE     environment variable of every container (repeatable)
      --label KEY=VALUE   label of the job (repeatable)
      --annotation KEY=VALUE
                          annotation of the job (repeatable)

Both:
  -n, --namespace NS      namespace (default: from mpijob login, else "default")
      --dry-run           validate and check quotas; create nothing and show the quota preview
  -o, --output FORMAT     name, json or yaml (default: a sentence)
  -h, --help              this help

Examples:
  mpijob create -f pi.yaml -n team-a
  mpijob create pi --image mpioperator/mpi-pi:openmpi --workers 2 --cpu 500m --memory 512Mi \\
      -- mpirun -n 2 /home/mpiuser/pi
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...NAMESPACE_OPTION,
  filename: { type: 'string', short: 'f' },
  'dry-run': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  image: { type: 'string' },
  workers: { type: 'string' },
  slots: { type: 'string' },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  gpu: { type: 'string' },
  'launcher-cpu': { type: 'string' },
  'launcher-memory': { type: 'string' },
  queue: { type: 'string' },
  env: { type: 'string', multiple: true },
  label: { type: 'string', multiple: true },
  annotation: { type: 'string', multiple: true },
} as const;

/** Flags that only make sense when the job is built from flags. */
const FLAG_ONLY = ['image', 'workers', 'slots', 'cpu', 'memory', 'gpu', 'launcher-cpu', 'launcher-memory', 'queue', 'env', 'label', 'annotation'] as const;

function requests(cpu: string | undefined, memory: string | undefined, gpu: number | undefined): ResourcesInput | undefined {
  if (cpu === undefined && memory === undefined && gpu === undefined) return undefined;
  return {
    requests: { ...(cpu === undefined ? {} : { cpu }), ...(memory === undefined ? {} : { memory }), ...(gpu === undefined ? {} : { gpu }) },
    // Extended resources such as GPUs cannot be overcommitted: Kubernetes wants them in limits.
    ...(gpu === undefined ? {} : { limits: { gpu } }),
  };
}

/** The typed input a `create NAME --image ...` command line describes. */
export function inputFromFlags(args: ParsedArgs, namespace: string): CreateMPIJobInput {
  const { values, positionals, rest } = args;
  const name = jobName(NAME, positionals);
  const image = stringOption(values, 'image');
  if (!image) throw new UsageError('--image is required when the job is built from flags (or give a manifest with -f)', NAME);
  const cpu = stringOption(values, 'cpu');
  const memory = stringOption(values, 'memory');
  const gpu = integerOption(NAME, values, 'gpu', 0);
  const launcher = requests(stringOption(values, 'launcher-cpu') ?? cpu, stringOption(values, 'launcher-memory') ?? memory, undefined);
  const worker = requests(cpu, memory, gpu);
  const env = keyValues(NAME, values, 'env').map(({ key, value }) => ({ name: key, value }));
  const labels = keyValues(NAME, values, 'label');
  const annotations = keyValues(NAME, values, 'annotation');
  const slots = integerOption(NAME, values, 'slots', 1);
  const queue = stringOption(values, 'queue');
  return {
    name,
    namespace,
    image,
    workers: integerOption(NAME, values, 'workers', 0) ?? 1,
    ...(slots === undefined ? {} : { slotsPerWorker: slots }),
    ...(rest.length > 0 ? { command: rest } : {}),
    ...(worker ? { workerResources: worker } : {}),
    ...(launcher ? { launcherResources: launcher } : {}),
    ...(queue ? { queue } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(labels.length > 0 ? { labels } : {}),
    ...(annotations.length > 0 ? { annotations } : {}),
  };
}

/** The quota lines of a preview: what each quota'd resource would be after the job. */
export function previewTable(preview: JobPreview): string {
  if (preview.checks.length === 0) return `No ResourceQuota in namespace ${preview.namespace}.\n`;
  return renderTable(
    ['QUOTA', 'RESOURCE', 'REQUESTED', 'USED', 'AFTER', 'HARD', 'FITS'],
    preview.checks.map((c) => [c.quota, c.resource, c.requested, c.used, c.after, c.hard, c.exceeded ? 'no' : 'yes']),
  );
}

function previewRecord(preview: JobPreview | null): unknown {
  if (!preview) return null;
  return {
    namespace: preview.namespace,
    pods: preview.pods,
    fits: preview.fits,
    checks: preview.checks.map((c) => ({ quota: c.quota, resource: c.resource, requested: c.requested, used: c.used, after: c.after, hard: c.hard, exceeded: c.exceeded })),
  };
}

async function readManifest(ctx: CommandContext, file: string): Promise<string> {
  try {
    return await ctx.io.readFile(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/**
 * The namespace a manifest names, if it parses and names one. A manifest that does not parse is
 * still sent: the gateway's answer says what is wrong with it, where.
 */
export function manifestNamespace(text: string): string | undefined {
  try {
    const doc: unknown = parseYaml(text);
    const metadata = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['metadata'] : undefined;
    const namespace = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['namespace'] : undefined;
    return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
  } catch {
    return undefined;
  }
}

async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { values } = args;
  const format = outputFormat(NAME, stringOption(values, 'output'), OUTPUTS, 'text');
  const dryRun = flag(values, 'dry-run');
  const file = stringOption(values, 'filename');
  const namespaceFlag = stringOption(values, 'namespace');
  let result: CreateJobResult;
  if (file !== undefined) {
    const stray = FLAG_ONLY.filter((f) => values[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} cannot be combined with -f: put it in the manifest`, NAME);
    if (args.positionals.length > 0 || args.rest.length > 0) throw new UsageError('a job name or command cannot be combined with -f: the manifest has them', NAME);
    const manifest = await readManifest(ctx, file);
    // As kubectl does: -n must match the manifest's namespace; without -n the manifest's own
    // applies, and the default namespace fills in only when it names none.
    const namespace = namespaceFlag ?? (manifestNamespace(manifest) === undefined ? ctx.namespace(undefined) : undefined);
    result = await ctx.client().createJobFromManifest(manifest, { ...(namespace ? { namespace } : {}), dryRun, signal: ctx.io.signal });
  } else {
    const input = inputFromFlags(args, ctx.namespace(namespaceFlag));
    result = await ctx.client().createJob(input, { dryRun, signal: ctx.io.signal });
  }
  const { job, preview } = result;
  if (format === 'json' || format === 'yaml') {
    ctx.printStructured(format, { dryRun: result.dryRun, job: jobRecord(job), preview: previewRecord(preview) });
    return EXIT_OK;
  }
  if (format === 'name') {
    ctx.print(`${job.namespace}/${job.name}\n`);
    return EXIT_OK;
  }
  if (dryRun) {
    ctx.print(`mpijob ${job.namespace}/${job.name} is valid and would run ${preview?.pods ?? job.spec.podCount} pods (dry run, nothing created)\n`);
    if (preview) ctx.print(previewTable(preview));
  } else {
    ctx.print(`mpijob ${job.namespace}/${job.name} created\n`);
  }
  return EXIT_OK;
}

export const createCommand: Command = { name: NAME, summary: 'create a job from a manifest or from flags', help: HELP, options: OPTIONS, run };
