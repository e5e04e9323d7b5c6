// CPU and memory of a process as the kernel counts them, for Node and C processes alike.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;
const MiB = 1024 * 1024;

export interface ProcStat {
  /** utime + stime of every thread of the process, seconds. */
  readonly cpuSeconds: number;
  /** Resident set now, and its high-water mark since start (VmHWM), MiB. */
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

/** The process's counters now, or undefined once it has exited. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssMiB: kB('VmRSS') / 1024, peakRssMiB: kB('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** One row of a run's time series: seconds since the shipper was spawned. */
export interface Sample {
  readonly t: number;
  readonly cpuSeconds: number;
  readonly rssMiB: number;
  /** Records the sink had counted by then. */
  readonly records: number;
}

/**
 * Samples a process every `intervalMs` with the sink's count beside it, so throughput and
 * RSS over time come from the same clock.
 */
export class Sampler {
  readonly samples: Sample[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, startedAt: number, records: () => number, intervalMs = 250) {
    const take = () => {
      const s = procStat(pid);
      if (s) this.samples.push({ t: (Date.now() - startedAt) / 1000, cpuSeconds: s.cpuSeconds, rssMiB: s.rssMiB, records: records() });
    };
    take();
    this.#timer = setInterval(take, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The 1-minute load average, for the report: other work on a shared machine shows here. */
export function load1(): number {
  return loadavg()[0]!;
}

export { MiB };
