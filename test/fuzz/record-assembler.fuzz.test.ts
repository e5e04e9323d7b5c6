// Multiline joining on arbitrary lines from two files, with timeouts and the size cap
// firing at arbitrary points: every line leaves in exactly one record, in file order,
// and a record's offsets, id and message are those of the lines it joined
// (docs/architecture.md, Checkpoints: nothing after a held record leaves before it).
import fc from 'fast-check';
import t from 'tap';
import { AckQueue } from '../../src/ack/ack-queue.js';
import type { LogRecord } from '../../src/record/log-record.js';
import { RecordAssembler, type LineSource } from '../../src/record/record-assembler.js';
import { joinedRecordId, recordId } from '../../src/record/record-id.js';
import { bytes, decodeUtf8Reference, holds } from './arbitraries.js';

/** A line: bytes without `\n`, often starting with blanks (a continuation under `^\S`). */
const line = fc
  .tuple(fc.constantFrom('', '', ' ', '\t', '  at '), bytes(40))
  .map(([lead, b]) => Buffer.concat([Buffer.from(lead), b.filter((c) => c !== 0x0a)]));

/** What happens next: a line of file 0 or 1, or time passing (the timeout may fire). */
const step = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('line' as const), fc.integer({ min: 0, max: 1 }), line) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('wait' as const), fc.integer({ min: 0, max: 2000 })) },
);

interface Emitted {
  readonly record: LogRecord;
  readonly src: LineSource;
  readonly end: number;
}

t.test('multiline: every line in exactly one record, in order, with its offsets, id and bytes', async (t) => {
  const property = fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 300 }), (steps, maxRecordBytes) => {
    const out: Emitted[] = [];
    const assembler = new RecordAssembler((record, queue, end) => out.push({ record, src: sources.find((s) => s.ackQueue === queue)!, end }), {
      context: { timestampField: '@timestamp', fields: [] },
      parsers: [],
      parserRegex: undefined,
      multiline: { startPattern: String.raw`^\S`, timeoutMs: 1000, files: [] },
      maxRecordBytes,
    });
    const sources: LineSource[] = [0, 1].map((i) => ({ key: `${i}`.repeat(16), path: `/pod-data/${i}.log`, ackQueue: new AckQueue(0) }));
    const sent: Array<Array<{ line: Buffer; start: number; end: number }>> = [[], []];
    const offsets = [0, 0];
    let now = 1_764_000_000_000;
    for (const s of steps) {
      if (s[0] === 'wait') {
        now += s[1];
        assembler.expire(now);
        continue;
      }
      const [, i, bytes] = s;
      const src = sources[i]!;
      const start = offsets[i]!;
      offsets[i] = start + bytes.length + 1;
      sent[i]!.push({ line: bytes, start, end: offsets[i]! });
      assembler.line(src, Buffer.from(bytes), start, offsets[i]!, false, now);
    }
    assembler.flush();
    if (assembler.holding) throw new Error('records held after flush');
    for (const i of [0, 1]) {
      const mine = out.filter((e) => e.src === sources[i]);
      const lines = sent[i]!;
      let next = 0;
      for (const { record, end } of mine) {
        const parts = record.message.split('\n');
        const joined = lines.slice(next, next + parts.length);
        if (joined.length !== parts.length) throw new Error(`file ${i}: a record of ${parts.length} lines past the end`);
        parts.forEach((p, k) => {
          if (p !== decodeUtf8Reference(joined[k]!.line)) throw new Error(`file ${i}: line ${next + k} changed`);
        });
        const first = joined[0]!;
        const last = joined.at(-1)!;
        if (record.offset !== first.start || end !== last.end) throw new Error(`file ${i}: offsets of record at ${first.start}`);
        const id = parts.length === 1 ? recordId(sources[i]!.key, first.start) : joinedRecordId(sources[i]!.key, first.start, last.end);
        if (record.id !== id) throw new Error(`file ${i}: id ${record.id}, want ${id}`);
        const size = joined.reduce((n, l) => n + l.line.length, 0) + parts.length - 1;
        if (parts.length > 1 && size > maxRecordBytes) throw new Error(`file ${i}: a joined record of ${size} bytes over ${maxRecordBytes}`);
        next += parts.length;
      }
      if (next !== lines.length) throw new Error(`file ${i}: ${next} of ${lines.length} lines left`);
    }
    return true;
  });
  await holds(t, 'record assembler: multiline joins of arbitrary lines', property, 1000);
});
