import { describe, expect, it } from 'vitest';
import { parseCommandArgs, UsageError } from '../args.ts';
import { createCommand, inputFromFlags, manifestNamespace } from './create.ts';

function args(words: string[]) {
  return parseCommandArgs('create', words, createCommand.options);
}

describe('inputFromFlags', () => {
  it('builds typed input: worker requests, the launcher with the same CPU and memory, the command after --', () => {
    const input = inputFromFlags(args(['pi', '--image', 'img', '--workers', '4', '--slots', '2', '--cpu', '2', '--memory', '4Gi', '--gpu', '1', '--queue', 'q', '--env', 'A=1', '--', 'mpirun', '-n', '8', 'app']), 'team-a');
    expect(input).toEqual({
      name: 'pi',
      namespace: 'team-a',
      image: 'img',
      workers: 4,
      slotsPerWorker: 2,
      command: ['mpirun', '-n', '8', 'app'],
      workerResources: { requests: { cpu: '2', memory: '4Gi', gpu: 1 }, limits: { gpu: 1 } },
      launcherResources: { requests: { cpu: '2', memory: '4Gi' } },
      queue: 'q',
      env: [{ name: 'A', value: '1' }],
    });
  });

  it('gives the launcher its own requests when asked, and one worker by default', () => {
    const input = inputFromFlags(args(['pi', '--image', 'img', '--cpu', '2', '--launcher-cpu', '250m']), 'ns');
    expect(input.workers).toBe(1);
    expect(input.launcherResources).toEqual({ requests: { cpu: '250m' } });
  });

  it('needs a name and an image', () => {
    expect(() => inputFromFlags(args(['--image', 'img']), 'ns')).toThrow(UsageError);
    expect(() => inputFromFlags(args(['pi']), 'ns')).toThrow(/--image is required/);
  });
});

describe('manifestNamespace', () => {
  it('reads metadata.namespace from YAML or JSON, and nothing from text that does not parse', () => {
    expect(manifestNamespace('metadata:\n  name: pi\n  namespace: team-b\n')).toBe('team-b');
    expect(manifestNamespace('{"metadata":{"name":"pi"}}')).toBeUndefined();
    expect(manifestNamespace(': : not yaml [')).toBeUndefined();
  });
});
