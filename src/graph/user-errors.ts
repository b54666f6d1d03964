// Expected outcomes of mutations, returned as data (`errors: [UserError!]!`), never thrown.

import type { InputErrorDetail } from '../errors.ts';
import type { QuotaShortfallModel } from '../quota/model.ts';

export type UserErrorCode = 'BAD_USER_INPUT' | 'QUOTA_EXCEEDED' | 'CONFLICT' | 'NOT_FOUND' | 'FORBIDDEN';

export interface FieldErrorModel {
  readonly typename: 'FieldError';
  code: UserErrorCode;
  message: string;
  path: string[];
  field: string | null;
}

export interface QuotaExceededErrorModel {
  readonly typename: 'QuotaExceededError';
  code: 'QUOTA_EXCEEDED';
  message: string;
  shortfall: QuotaShortfallModel[];
}

export type UserErrorModel = FieldErrorModel | QuotaExceededErrorModel;

export function fieldError(path: string[], message: string, options: { field?: string; code?: UserErrorCode } = {}): FieldErrorModel {
  return { typename: 'FieldError', code: options.code ?? 'BAD_USER_INPUT', message, path, field: options.field ?? null };
}

export function quotaExceededError(message: string, shortfall: QuotaShortfallModel[]): QuotaExceededErrorModel {
  return { typename: 'QuotaExceededError', code: 'QUOTA_EXCEEDED', message, shortfall };
}

/** Field errors from a Kubernetes 422 (causes), with input paths where they map. */
export function fromInputDetails(details: readonly InputErrorDetail[], inputPath: (field: string) => string[]): FieldErrorModel[] {
  return details.map((d) => fieldError(d.path.length > 0 ? d.path : d.field ? inputPath(d.field) : [], d.message, d.field ? { field: d.field } : {}));
}
