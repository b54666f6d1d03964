// Rank tags: every rank's output reaches the launcher's log through mpirun, and with OpenMPI's
// `--tag-output` each line is prefixed with `[<jobid>,<rank>]<stdout>:`; Intel MPI and MPICH
// (Hydra's `-prepend-rank`) prefix `[<rank>] `. Reading the tag gives each line its rank and
// stream, and the text without the prefix.

export type LogStreamName = 'STDOUT' | 'STDERR';

export interface TaggedLine {
  rank: number | null;
  stream: LogStreamName | null;
  text: string;
}

/** `[1,3]<stdout>:text`; OpenMPI also tags `<stddiag>`, its own diagnostics, which go to stderr. */
const OPENMPI_TAG = /^\[\d+,(\d+)\]<(stdout|stderr|stddiag)>:/;
/** `[3] text` */
const HYDRA_TAG = /^\[(\d+)\] /;

/** Which tag format a job's launcher writes, from its `mpiImplementation`. */
export type TagFormat = 'openmpi' | 'hydra';

export function tagFormatOf(mpiImplementation: string | null | undefined): TagFormat {
  return mpiImplementation === 'INTEL' || mpiImplementation === 'MPICH' ? 'hydra' : 'openmpi';
}

export function parseRankTag(line: string, format: TagFormat): TaggedLine {
  if (format === 'openmpi') {
    const match = OPENMPI_TAG.exec(line);
    if (match) {
      return { rank: Number(match[1]), stream: match[2] === 'stdout' ? 'STDOUT' : 'STDERR', text: line.slice(match[0].length) };
    }
  } else {
    const match = HYDRA_TAG.exec(line);
    if (match) return { rank: Number(match[1]), stream: null, text: line.slice(match[0].length) };
  }
  return { rank: null, stream: null, text: line };
}
