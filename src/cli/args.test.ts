import { describe, expect, it } from 'vitest';
import { UsageError, integerOption, jobName, keyValues, listOption, parseCommandArgs } from './args.ts';

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  rank: { type: 'string', multiple: true },
  label: { type: 'string', multiple: true },
  workers: { type: 'string' },
} as const;

describe('parseCommandArgs', () => {
  it('keeps the words after -- verbatim, options included', () => {
    const parsed = parseCommandArgs('create', ['pi', '-n', 'team-a', '--', 'mpirun', '-n', '4', '--bind-to', 'core'], OPTIONS);
    expect(parsed.positionals).toEqual(['pi']);
    expect(parsed.values['namespace']).toBe('team-a');
    expect(parsed.rest).toEqual(['mpirun', '-n', '4', '--bind-to', 'core']);
  });

  it('refuses unknown options and missing values as usage errors naming the option', () => {
    expect(() => parseCommandArgs('logs', ['--bogus'], OPTIONS)).toThrow(new UsageError('unknown option --bogus', 'logs'));
    expect(() => parseCommandArgs('logs', ['-n'], OPTIONS)).toThrow(UsageError);
    expect(() => parseCommandArgs('logs', ['-n'], OPTIONS)).toThrow(/-n.* needs a value/);
    expect(() => parseCommandArgs('create', ['--workers', '-1'], OPTIONS)).toThrow('option --workers needs a value; to give one that starts with "-", write --workers=VALUE');
    expect(() => parseCommandArgs('logs', ['--follow=yes'], OPTIONS)).toThrow('option --follow does not take a value');
  });
});

describe('option helpers', () => {
  it('merges comma lists and repeated flags', () => {
    const { values } = parseCommandArgs('logs', ['--rank', '0,3', '--rank', ' 5 '], OPTIONS);
    expect(listOption(values, 'rank')).toEqual(['0', '3', '5']);
  });

  it('reads KEY=VALUE pairs and refuses a pair without a key', () => {
    const { values } = parseCommandArgs('create', ['--label', 'team=nlp', '--label', 'expr=a=b'], OPTIONS);
    expect(keyValues('create', values, 'label')).toEqual([
      { key: 'team', value: 'nlp' },
      { key: 'expr', value: 'a=b' },
    ]);
    const bad = parseCommandArgs('create', ['--label', '=x'], OPTIONS);
    expect(() => keyValues('create', bad.values, 'label')).toThrow(UsageError);
  });

  it('checks whole numbers and their bounds', () => {
    expect(integerOption('create', { workers: '4' }, 'workers', 1)).toBe(4);
    expect(integerOption('create', {}, 'workers', 1)).toBeUndefined();
    expect(() => integerOption('create', { workers: 'four' }, 'workers', 1)).toThrow(/whole number/);
    expect(() => integerOption('create', { workers: '0' }, 'workers', 1)).toThrow(/at least 1/);
  });

  it('wants exactly one job name', () => {
    expect(jobName('wait', ['pi'])).toBe('pi');
    expect(() => jobName('wait', [])).toThrow(/required/);
    expect(() => jobName('wait', ['a', 'b'])).toThrow(/one job name/);
  });
});
