// Submitting and controlling jobs. The order is the design's: validate the input with the
// operator's and the CRD's rules, check the namespace's quotas, then write to Kubernetes.
// Everything a user can fix comes back as data (`errors`); only failures are thrown.

import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  QuotaExceededError,
} from '../errors.ts';
import type { ClusterCaches } from '../kube/watched.ts';
import type { MpiJobWriter, WriteOptions } from '../kube/mpijobs.ts';
import { MPIJOB_GROUP, MPIJOB_PLURAL } from '../kube/labels.ts';
import type { MPIJobObject, ResourceQuotaObject } from '../kube/objects.ts';
import { toGlobalId } from '../node/global-id.ts';
import { containerResources, toResourcesModel, type ResourcesModel } from '../quota/pod-resources.ts';
import {
  evaluateQuotas,
  jobDemand,
  missingQuotaResources,
  shortfallMessage,
  type QuotaCheckModel,
  type QuotaShortfallModel,
} from '../quota/model.ts';
import { fieldError, fromInputDetails, quotaExceededError, type UserErrorModel } from '../graph/user-errors.ts';
import type { Viewer } from '../viewer/viewer.ts';
import { buildManifest, parseManifest, type MpiJobInput } from './manifest.ts';
import { toMpiJobModel, type MpiJobModel } from './model.ts';
import { validateMpiJob } from './validation.ts';

export interface PreviewModel {
  namespace: string;
  pods: number;
  resources: ResourcesModel;
  checks: QuotaCheckModel[];
  fits: boolean;
  shortfall: QuotaShortfallModel[];
  errors: UserErrorModel[];
}

export interface CreatePayloadModel {
  job: MpiJobModel | null;
  dryRun: boolean;
  preview: PreviewModel | null;
  errors: UserErrorModel[];
}

export interface JobPayloadModel {
  job: MpiJobModel | null;
  errors: UserErrorModel[];
}

export interface DeletePayloadModel {
  deletedId: string | null;
  errors: UserErrorModel[];
}

/** Which namespaces this gateway serves (all, or the `--namespaces` list). */
export interface NamespaceScope {
  includes(namespace: string): boolean;
}

export interface MpiJobServiceOptions {
  writer: MpiJobWriter;
  caches: Pick<ClusterCaches, 'mpiJobs' | 'namespaces' | 'quotas'>;
  scope: NamespaceScope;
}

interface Submission {
  manifest: MPIJobObject;
  inputPath: (field: string) => string[];
  /** Errors found before validation (a manifest that does not parse, a namespace mismatch). */
  errors: UserErrorModel[];
}

const MANIFEST_PATH = ['manifest'];

function emptyPreview(namespace: string, errors: UserErrorModel[]): PreviewModel {
  return { namespace, pods: 0, resources: { requests: [], limits: [] }, checks: [], fits: errors.length === 0, shortfall: [], errors };
}

export class MpiJobService {
  private readonly writer: MpiJobWriter;
  private readonly caches: MpiJobServiceOptions['caches'];
  private readonly scope: NamespaceScope;

  constructor(options: MpiJobServiceOptions) {
    this.writer = options.writer;
    this.caches = options.caches;
    this.scope = options.scope;
  }

  private typed(input: MpiJobInput): Submission {
    const built = buildManifest(input);
    return { manifest: built.manifest, inputPath: built.inputPath, errors: [] };
  }

  private fromManifest(text: string, namespace: string | null | undefined): Submission {
    const parsed = parseManifest(text);
    if (!parsed.ok) {
      return { manifest: { metadata: {} }, inputPath: () => MANIFEST_PATH, errors: [fieldError(MANIFEST_PATH, parsed.issue.message)] };
    }
    const manifest = parsed.manifest as unknown as MPIJobObject;
    const errors: UserErrorModel[] = [];
    const meta = typeof manifest.metadata === 'object' && manifest.metadata !== null ? manifest.metadata : {};
    const own = meta.namespace;
    // Everything maps to the manifest, except a namespace that came from the argument.
    const inputPath = (field: string): string[] => (field === 'metadata.namespace' && !own ? ['namespace'] : MANIFEST_PATH);
    if (own && namespace && own !== namespace) {
      errors.push(fieldError(['namespace'], `the manifest says namespace "${own}" but the argument says "${namespace}"`, { field: 'metadata.namespace' }));
    }
    const effective = own ?? namespace ?? undefined;
    if (!effective) errors.push(fieldError(['namespace'], 'Required value: give a namespace in the manifest or as an argument', { field: 'metadata.namespace' }));
    return { manifest: { ...manifest, metadata: { ...meta, ...(effective ? { namespace: effective } : {}) } }, inputPath, errors };
  }

  /** Validation and namespace checks; an empty list means the job may be submitted. */
  private check(submission: Submission, viewer: Viewer): UserErrorModel[] {
    const errors = [...submission.errors];
    if (errors.length > 0) return errors;
    for (const issue of validateMpiJob(submission.manifest)) {
      const message = issue.field ? `${issue.field}: ${issue.message}` : issue.message;
      errors.push(fieldError(submission.inputPath(issue.field), message, issue.field ? { field: issue.field } : {}));
    }
    const namespace = submission.manifest.metadata.namespace ?? '';
    const namespacePath = submission.inputPath('metadata.namespace');
    if (namespace && !this.scope.includes(namespace)) {
      errors.push(fieldError(namespacePath, `namespace "${namespace}" is not served by this gateway`, { field: 'metadata.namespace' }));
    } else if (namespace && !viewer.canRead(namespace)) {
      errors.push(fieldError(namespacePath, `namespace "${namespace}" is not visible to you`, { field: 'metadata.namespace', code: 'FORBIDDEN' }));
    } else if (namespace && !this.caches.namespaces.get(undefined, namespace)) {
      errors.push(fieldError(namespacePath, `namespaces "${namespace}" not found`, { field: 'metadata.namespace', code: 'NOT_FOUND' }));
    }
    const name = submission.manifest.metadata.name;
    if (errors.length === 0 && name && this.caches.mpiJobs.get(namespace, name)) {
      errors.push(
        fieldError(submission.inputPath('metadata.name'), `${MPIJOB_PLURAL}.${MPIJOB_GROUP} "${name}" already exists`, { field: 'metadata.name', code: 'CONFLICT' }),
      );
    }
    return errors;
  }

  private quotasOf(namespace: string): readonly ResourceQuotaObject[] {
    return this.caches.quotas.list(namespace);
  }

  /** What the job requests against the quotas of its namespace. */
  private previewOf(manifest: MPIJobObject, errors: UserErrorModel[], inputPath: (field: string) => string[]): PreviewModel {
    const namespace = manifest.metadata.namespace ?? '';
    const model = toMpiJobModel(manifest);
    const quotas = namespace ? this.quotasOf(namespace) : [];
    const { checks, shortfall } = evaluateQuotas(quotas, jobDemand(model.totals, model.spec.podCount));
    const containers = Object.entries(manifest.spec?.mpiReplicaSpecs ?? {}).flatMap(([type, spec]) =>
      (spec.template?.spec?.containers ?? []).map((container, i) => ({
        name: `spec.mpiReplicaSpecs[${type}].template.spec.containers[${i}]`,
        totals: containerResources(container),
      })),
    );
    const missing = missingQuotaResources(quotas, containers).map((m) => {
      const field = `${m.template}.resources.${m.list}[${m.name}]`;
      return fieldError(inputPath(field), `${field}: Required value: quota ${m.quota} limits ${m.resource}, so every container must declare it`, { field });
    });
    const allErrors = [...errors, ...missing];
    return {
      namespace,
      pods: model.spec.podCount,
      resources: toResourcesModel(model.totals),
      checks,
      fits: shortfall.length === 0 && allErrors.length === 0,
      shortfall,
      errors: allErrors,
    };
  }

  preview(input: MpiJobInput, viewer: Viewer): PreviewModel {
    const submission = this.typed(input);
    const errors = this.check(submission, viewer);
    if (!viewer.canRead(input.namespace)) return emptyPreview(input.namespace, errors);
    return this.previewOf(submission.manifest, errors, submission.inputPath);
  }

  createTyped(input: MpiJobInput, dryRun: boolean, viewer: Viewer, options: WriteOptions = {}): Promise<CreatePayloadModel> {
    return this.submit(this.typed(input), dryRun, viewer, options);
  }

  createFromManifest(text: string, namespace: string | null | undefined, dryRun: boolean, viewer: Viewer, options: WriteOptions = {}): Promise<CreatePayloadModel> {
    return this.submit(this.fromManifest(text, namespace), dryRun, viewer, options);
  }

  private async submit(submission: Submission, dryRun: boolean, viewer: Viewer, options: WriteOptions): Promise<CreatePayloadModel> {
    const errors = this.check(submission, viewer);
    if (errors.length > 0) return { job: null, dryRun, preview: null, errors };
    const preview = this.previewOf(submission.manifest, [], submission.inputPath);
    if (preview.errors.length > 0) return { job: null, dryRun, preview, errors: preview.errors };
    if (preview.shortfall.length > 0) {
      return { job: null, dryRun, preview, errors: [quotaExceededError(shortfallMessage(preview.shortfall), preview.shortfall)] };
    }
    try {
      const created = await this.writer.create(submission.manifest, { ...options, dryRun });
      return { job: toMpiJobModel(created), dryRun, preview, errors: [] };
    } catch (error) {
      return { job: null, dryRun, preview, errors: [this.writeError(error, submission.inputPath)].flat() };
    }
  }

  /** Kubernetes refusals a user can act on become data; anything else is rethrown. */
  private writeError(error: unknown, inputPath: (field: string) => string[]): UserErrorModel[] {
    if (error instanceof BadUserInputError) {
      const details = (error.extensions['fieldErrors'] as Parameters<typeof fromInputDetails>[0] | undefined) ?? [];
      return details.length > 0 ? fromInputDetails(details, inputPath) : [fieldError(inputPath(''), error.message)];
    }
    if (error instanceof QuotaExceededError) return [quotaExceededError(error.message, error.shortfall)];
    if (error instanceof ConflictError) return [fieldError(inputPath('metadata.name'), error.message, { field: 'metadata.name', code: 'CONFLICT' })];
    if (error instanceof NotFoundError) return [fieldError(inputPath('metadata.namespace'), error.message, { field: 'metadata.namespace', code: 'NOT_FOUND' })];
    throw error;
  }

  private targetErrors(namespace: string, name: string, viewer: Viewer): UserErrorModel[] {
    if (!this.scope.includes(namespace)) return [fieldError(['namespace'], `namespace "${namespace}" is not served by this gateway`)];
    if (!viewer.canRead(namespace)) return [fieldError(['namespace'], `namespace "${namespace}" is not visible to you`, { code: 'FORBIDDEN' })];
    if (name === '') return [fieldError(['name'], 'Required value')];
    return [];
  }

  private async onTarget<T>(namespace: string, name: string, call: () => Promise<T>): Promise<{ value?: T; errors: UserErrorModel[] }> {
    try {
      return { value: await call(), errors: [] };
    } catch (error) {
      if (error instanceof NotFoundError) {
        return { errors: [fieldError(['name'], `${MPIJOB_PLURAL}.${MPIJOB_GROUP} "${name}" not found in namespace "${namespace}"`, { code: 'NOT_FOUND' })] };
      }
      if (error instanceof ConflictError) return { errors: [fieldError(['name'], error.message, { code: 'CONFLICT' })] };
      throw error;
    }
  }

  async delete(namespace: string, name: string, viewer: Viewer, options: WriteOptions = {}): Promise<DeletePayloadModel> {
    const errors = this.targetErrors(namespace, name, viewer);
    if (errors.length > 0) return { deletedId: null, errors };
    const result = await this.onTarget(namespace, name, () => this.writer.delete(namespace, name, options));
    return { deletedId: result.errors.length === 0 ? toGlobalId('MPIJob', namespace, name) : null, errors: result.errors };
  }

  async setSuspended(namespace: string, name: string, suspend: boolean, viewer: Viewer, options: WriteOptions = {}): Promise<JobPayloadModel> {
    const errors = this.targetErrors(namespace, name, viewer);
    if (errors.length > 0) return { job: null, errors };
    const result = await this.onTarget(namespace, name, () => this.writer.setSuspended(namespace, name, suspend, options));
    return { job: result.value ? toMpiJobModel(result.value) : null, errors: result.errors };
  }
}
