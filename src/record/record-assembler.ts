import type { AckQueue } from '../ack/ack-queue.js';
import type { LogRecord } from './log-record.js';
import { recordId } from './record-id.js';

/** The file a line came from, as the record side needs it. */
export interface LineSource {
  readonly key: string;
  readonly path: string;
  readonly ackQueue: AckQueue;
}

/** Receives finished records; `end` is the offset past the record's last line. */
export type RecordHandler = (record: LogRecord, queue: AckQueue, end: number) => void;

/**
 * Turns lines into records: decode, id, time. The place where parsing and multiline
 * joining hook in; everything after it sees only records.
 */
export class RecordAssembler {
  readonly #emit: RecordHandler;

  constructor(emit: RecordHandler) {
    this.#emit = emit;
  }

  line(src: LineSource, line: Buffer, start: number, end: number, truncated: boolean, nowMs: number): void {
    this.#emit(
      {
        // Invalid UTF-8 becomes U+FFFD here; JSON encoding escapes NUL and controls.
        message: line.toString('utf8'),
        timeMs: nowMs,
        readTimeMs: nowMs,
        file: src.path,
        offset: start,
        id: recordId(src.key, start),
        truncated,
      },
      src.ackQueue,
      end,
    );
  }

  /** Emits records held back (none yet; multiline joining will hold some). */
  flush(): void {}
}
