import { describe, expect, it } from 'vitest';
import { parseRankTag, tagFormatOf } from './rank-tags.ts';

describe('rank tags', () => {
  it('reads the rank, the stream and the text of an OpenMPI-tagged line', () => {
    expect(parseRankTag('[1,3]<stdout>:step 10 loss 0.25', 'openmpi')).toEqual({ rank: 3, stream: 'STDOUT', text: 'step 10 loss 0.25' });
    expect(parseRankTag('[1,12]<stderr>:CUDA out of memory', 'openmpi')).toEqual({ rank: 12, stream: 'STDERR', text: 'CUDA out of memory' });
    expect(parseRankTag('[1,0]<stddiag>:warning', 'openmpi')).toEqual({ rank: 0, stream: 'STDERR', text: 'warning' });
  });

  it('leaves untagged lines, such as mpirun its own, without a rank', () => {
    expect(parseRankTag('Warning: Permanently added pi-worker-0 to the list of known hosts.', 'openmpi')).toEqual({
      rank: null,
      stream: null,
      text: 'Warning: Permanently added pi-worker-0 to the list of known hosts.',
    });
    expect(parseRankTag('[pi-worker-0] ssh: connect', 'openmpi').rank).toBeNull();
  });

  it('reads the Hydra prefix of Intel MPI and MPICH launchers', () => {
    expect(tagFormatOf('INTEL')).toBe('hydra');
    expect(tagFormatOf('MPICH')).toBe('hydra');
    expect(tagFormatOf(null)).toBe('openmpi');
    expect(parseRankTag('[7] hello', 'hydra')).toEqual({ rank: 7, stream: null, text: 'hello' });
    expect(parseRankTag('[1,7]<stdout>:hello', 'hydra').rank).toBeNull();
  });
});
