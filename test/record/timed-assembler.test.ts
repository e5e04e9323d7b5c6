// The record stage's timer: armed only while a multiline record is held, it emits the
// record once no line has joined it for the timeout.
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import { RecordAssembler } from '../../src/record/record-assembler.js';
import { TimedAssembler, type AssemblerTimers } from '../../src/record/timed-assembler.js';

/** Timers under the test's control: `advance` runs what falls due, in order. */
class FakeTimers implements AssemblerTimers {
  nowMs = 0;
  #next = 1;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.nowMs;
  }
  set(fn: () => void, delayMs: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.nowMs + delayMs, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(toMs: number): void {
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= toMs).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.nowMs = due[1].at;
      due[1].fn();
    }
    this.nowMs = toMs;
  }
}

function setup(multiline: boolean) {
  const messages: string[] = [];
  const timers = new FakeTimers();
  const core = new RecordAssembler((r) => messages.push(r.message), {
    context: { timestampField: '@timestamp', fields: [] },
    parsers: [],
    parserRegex: undefined,
    multiline: multiline ? { startPattern: '^S', timeoutMs: 1000, files: [] } : undefined,
    maxRecordBytes: 1 << 20,
  });
  const stage = new TimedAssembler(core, timers);
  const src = { key: 'k', path: '/d/a.log', ackQueue: new AckQueue(0) };
  let offset = 0;
  const line = (text: string) => {
    const b = Buffer.from(text);
    stage.line(src, b, offset, offset + b.length + 1, false, timers.nowMs);
    offset += b.length + 1;
  };
  return { messages, timers, stage, line };
}

t.test('no timer without multiline', async (t) => {
  const { messages, timers, line } = setup(false);
  line('a');
  t.strictSame(messages, ['a']);
  t.equal(timers.pending.size, 0);
});

t.test('one timer while a record is held; it fires after the timeout since the last line', async (t) => {
  const { messages, timers, line } = setup(true);
  line('S one');
  t.equal(timers.pending.size, 1, 'armed');
  timers.advance(600);
  line('  one.1');
  t.equal(timers.pending.size, 1, 'still one timer, not one per line');
  timers.advance(1000);
  t.strictSame(messages, [], 'the first deadline passed, but a line joined at 600: re-armed');
  t.equal(timers.pending.size, 1);
  timers.advance(1600);
  t.strictSame(messages, ['S one\n  one.1'], 'emitted 1000 ms after the last line');
  t.equal(timers.pending.size, 0, 'disarmed when nothing is held');
  line('S two');
  timers.advance(2600);
  t.strictSame(messages, ['S one\n  one.1', 'S two']);
});

t.test('flush emits and disarms; close leaves held records unsent', async (t) => {
  const a = setup(true);
  a.line('S one');
  a.stage.flush();
  t.strictSame(a.messages, ['S one']);
  t.equal(a.timers.pending.size, 0);

  const b = setup(true);
  b.line('S held');
  b.stage.close();
  t.equal(b.timers.pending.size, 0, 'no timer after close');
  b.line('S next');
  t.equal(b.timers.pending.size, 0, 'none armed after close');
  t.strictSame(b.messages, ['S held'], 'the held one left only because the next began');
});
