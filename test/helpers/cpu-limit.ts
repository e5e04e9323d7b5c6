// Holds a process to a CPU quota, as a Pod's `limits.cpu` does (CFS bandwidth control):
// cgroup v1's cpu controller (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) or cgroup v2's
// `cpu.max`. Needs root and a writable cgroup hierarchy; where there is none, says why.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 100_000;
let created = 0;

export interface CpuLimit {
  /** Whether the process is held to the quota. */
  readonly applied: boolean;
  /** What was done, or why it could not be. */
  readonly detail: string;
  /** Removes the cgroup (call once the process has exited). */
  release(): void;
}

/** Puts `pid` (all its threads) in a new cgroup limited to `millicores` (500 = half a CPU). */
export function limitCpu(pid: number, millicores: number): CpuLimit {
  const quota = Math.round((millicores / 1000) * PERIOD_US);
  const name = `tailship-test-${process.pid}-${++created}`;
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = '/sys/fs/cgroup';
  try {
    if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
      const dir = join(v1, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return held(dir, `cgroup v1 ${dir}: cfs_quota_us=${quota} per ${PERIOD_US} (${millicores}m)`);
    }
    if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.controllers'), 'utf8').includes('cpu')) {
      const dir = join(v2, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return held(dir, `cgroup v2 ${dir}: cpu.max=${quota} ${PERIOD_US} (${millicores}m)`);
    }
    return notHeld('no cgroup cpu controller is mounted at /sys/fs/cgroup');
  } catch (error) {
    return notHeld(`cannot create a cgroup (${(error as NodeJS.ErrnoException).code ?? String(error)}): not root, or the hierarchy is read-only`);
  }
}

function held(dir: string, detail: string): CpuLimit {
  return {
    applied: true,
    detail,
    release: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process, or already gone: the cgroup is empty once it exits
      }
    },
  };
}

function notHeld(detail: string): CpuLimit {
  return { applied: false, detail, release: () => {} };
}

/** CPU time a process has used, in ms (utime + stime from /proc/<pid>/stat). */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), counted from after the command name (index 11 and 12).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
