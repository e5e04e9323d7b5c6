import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCollector, type Responder } from './collector.js';
import { TailshipProcess } from './tailship-process.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const created: string[] = [];
// Each test file runs in its own process: its temp dirs (tens of MiB for the big-line
// and many-file tests) go when it exits, so repeated runs do not fill the disk.
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir with `logs/` and `state/`, removed when the test process exits. */
export function tempDirs(): { dir: string; logs: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tailship-test-'));
  created.push(dir);
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  return { dir, logs, state: join(dir, 'state') };
}

/**
 * The settings that make tests quick: batches, polls, checkpoints, drains and retries
 * measured in tens or hundreds of milliseconds instead of seconds. Tests add only what
 * they are about.
 */
export const FAST_SETTINGS: Readonly<Record<string, string>> = {
  TAILSHIP_BATCH_LINGER_MS: '50',
  TAILSHIP_POLL_INTERVAL: '100ms',
  TAILSHIP_CHECKPOINT_INTERVAL: '100ms',
  TAILSHIP_DRAIN_QUIET: '300ms',
  TAILSHIP_RETRY_INITIAL: '50ms',
  TAILSHIP_RETRY_MAX: '500ms',
};

/** A running collector, torn down with the test. */
export async function startCollector(t: Teardown, responder?: Responder): Promise<TestCollector> {
  const collector = new TestCollector({ responder });
  await collector.start();
  t.teardown(() => collector.close());
  return collector;
}

/** The built tailship against `collector`, ready; SIGKILLed at teardown if still running. */
export async function startTailship(
  t: Teardown,
  collector: TestCollector,
  state: string,
  env: Record<string, string>,
  user?: { uid: number; gid: number },
): Promise<TailshipProcess> {
  const ts = new TailshipProcess(
    { ...FAST_SETTINGS, TAILSHIP_COLLECTOR_URL: collector.url, TAILSHIP_STATE_DIR: state, ...env },
    [],
    user,
  );
  t.teardown(() => ts.kill());
  await ts.ready();
  return ts;
}
