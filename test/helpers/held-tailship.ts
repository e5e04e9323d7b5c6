// tailship as the Pod runs it for the rotation tests: CPU held to the Pod's 500m where the
// machine allows, and a collector tally of what arrived (messages and duplicate ids).
import type { Test } from 'tap';
import type { TestCollector } from './collector.js';
import { cpuTimeMs, limitCpu } from './cpu-limit.js';
import { TailshipProcess } from './tailship-process.js';
import { waitFor } from './wait-for.js';

const POD_CPU_MILLICORES = 500; // k8s/pod.yaml: limits.cpu

/** What the collector accepted, kept small: each record's message and id. */
export function received(collector: TestCollector) {
  const messages: string[] = [];
  const ids = new Set<string>();
  let duplicateIds = 0;
  collector.keep = false;
  collector.onAccepted = (lines) => {
    for (const line of lines) {
      const r = JSON.parse(line) as { message: string; id: string };
      messages.push(r.message);
      if (ids.has(r.id)) duplicateIds++;
      ids.add(r.id);
    }
  };
  return {
    messages,
    get duplicateIds() {
      return duplicateIds;
    },
    /**
     * Waits until `expected` records arrived, or none arrived for `quietMs` (then the
     * test's own checks say which are missing, instead of a bare timeout).
     */
    async settle(expected: number, quietMs = 30_000): Promise<void> {
      let last = -1;
      let progressAt = Date.now();
      const settled = () => {
        if (messages.length !== last) {
          last = messages.length;
          progressAt = Date.now();
        }
        return messages.length >= expected || Date.now() - progressAt > quietMs;
      };
      // No overall deadline: it ends at the latest `quietMs` after the last record arrived.
      await waitFor('all records, or a quiet spell', settled, { timeoutMs: Infinity, intervalMs: 200 });
    },
  };
}

/** tailship as the Pod runs it: its CPU held to 500m where the machine allows. */
export async function startHeld(t: Test, env: Record<string, string>): Promise<TailshipProcess> {
  const ts = new TailshipProcess(env);
  const limit = limitCpu(ts.child.pid!, POD_CPU_MILLICORES);
  t.comment(limit.applied ? `CPU held: ${limit.detail}` : `CPU NOT held (${limit.detail}): running unthrottled`);
  t.teardown(async () => {
    await ts.kill();
    limit.release();
    // A failure says what the tail side saw: rotations, copies, generations, losses.
    if (!t.passing()) {
      const events = ts.logs.filter((l) => l['component'] === 'tail' && l['msg'] !== 'file opened');
      for (const l of events.slice(-60)) t.comment(`${l['msg']} ${JSON.stringify({ ...l, level: undefined, time: undefined, pid: undefined, hostname: undefined, msg: undefined, component: undefined, name: undefined })}`);
    }
  });
  await ts.ready(60_000);
  return ts;
}

export function heldEnv(collectorUrl: string, logs: string, state: string, over: Record<string, string> = {}) {
  return {
    TAILSHIP_COLLECTOR_URL: collectorUrl,
    TAILSHIP_INCLUDE: `${logs}/*.log`,
    TAILSHIP_STATE_DIR: state,
    TAILSHIP_COMPRESSION: 'none',
    TAILSHIP_BATCH_LINGER_MS: '200',
    TAILSHIP_RETRY_INITIAL: '50ms',
    TAILSHIP_RETRY_MAX: '500ms',
    TAILSHIP_REQUEST_TIMEOUT: '2s',
    ...over,
  };
}

export async function reportRotation(t: Test, ts: TailshipProcess, what: string, startedMs: number): Promise<void> {
  const copies = await ts.metric('tailship_truncated_copies_read_total');
  const generations = await ts.metric('tailship_rotated_generations_found_total');
  const lost = await ts.metric('tailship_rotation_lost_bytes_total');
  const cpu = cpuTimeMs(ts.child.pid!);
  t.comment(`${what}: ${copies} copies read, ${generations} unseen generations read, ${lost} bytes lost, ${Math.round((Date.now() - startedMs) / 100) / 10} s, ${cpu} ms CPU`);
  t.equal(lost, 0, 'no bytes reported lost');
}

