import { describe, expect, it } from 'vitest';
import { GatewayError, QuotaExceededError, ValidationError, errorFromGraphQL, errorFromUserErrors, withField } from './errors.ts';

describe('errorFromGraphQL', () => {
  it('makes BAD_USER_INPUT a ValidationError with the field problems of every error', () => {
    const error = errorFromGraphQL(
      [
        { message: 'invalid job', extensions: { code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'workers'], field: 'spec.x', message: 'must be >= 0' }] } },
        { message: 'invalid job', extensions: { code: 'BAD_USER_INPUT', fieldErrors: [{ path: ['input', 'name'], message: 'too long' }] } },
      ],
      400,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('invalid job');
    expect(error.httpStatus).toBe(400);
    expect((error as ValidationError).fields).toEqual([
      { path: ['input', 'workers'], field: 'spec.x', message: 'must be >= 0' },
      { path: ['input', 'name'], field: null, message: 'too long' },
    ]);
  });

  it('makes QUOTA_EXCEEDED a QuotaExceededError with the shortfall', () => {
    const shortfall = { quota: 'q', resource: 'pods', requested: '3', used: '39', hard: '40', shortfall: '2' };
    const error = errorFromGraphQL([{ message: 'exceeded quota: q', extensions: { code: 'QUOTA_EXCEEDED', shortfall: [shortfall] } }]);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).shortfall).toEqual([shortfall]);
  });

  it('keeps any other code, and calls an error without one internal', () => {
    expect(errorFromGraphQL([{ message: 'nope', extensions: { code: 'FORBIDDEN' } }]).code).toBe('FORBIDDEN');
    const bare = errorFromGraphQL([{ message: 'boom' }]);
    expect(bare).toBeInstanceOf(GatewayError);
    expect(bare.code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('errorFromUserErrors', () => {
  it('lets a quota refusal win over field errors', () => {
    const error = errorFromUserErrors([
      { __typename: 'FieldError', code: 'BAD_USER_INPUT', message: 'x', path: ['input'], field: null },
      { __typename: 'QuotaExceededError', code: 'QUOTA_EXCEEDED', message: 'exceeded quota: q', shortfall: [] },
    ]);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.message).toBe('exceeded quota: q');
  });

  it('keeps NOT_FOUND and CONFLICT as plain GatewayErrors with their code', () => {
    const error = errorFromUserErrors([{ __typename: 'FieldError', code: 'CONFLICT', message: 'already exists', path: ['name'], field: null }]);
    expect(error.constructor).toBe(GatewayError);
    expect(error.code).toBe('CONFLICT');
  });
});

describe('withField', () => {
  it('prefixes the field unless the message starts with it', () => {
    expect(withField('spec.x', 'must be set')).toBe('spec.x: must be set');
    expect(withField('metadata.name', 'metadata.name: Invalid value')).toBe('metadata.name: Invalid value');
    expect(withField(null, 'plain')).toBe('plain');
  });
});
