import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Files with a `file_bytes_behind` series of their own: the ones furthest behind. With
 * thousands of files a series each would make every scrape (and the metrics store) grow
 * with the file count; the total is `bytes_behind`.
 */
export const BYTES_BEHIND_TOP_FILES = 50;

/**
 * How often the event loop's delay is sampled for `tailship_nodejs_eventloop_lag_*`, ms.
 * prom-client's default, 10 ms, is a timer waking the process 100 times a second: with
 * nothing to ship that was half of tailship's idle CPU. The delay is still measured in
 * nanoseconds, from 10 samples a second.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** tailship's Prometheus metrics, in their own registry. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tailship_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name: `tailship_${name}`, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name: `tailship_${name}`, help, labelNames, registers: [registry] });
  return {
    registry,
    linesRead: counter('lines_read_total', 'Lines read from files.'),
    bytesRead: counter('bytes_read_total', 'Bytes read from files.'),
    linesTruncated: counter('lines_truncated_total', 'Lines longer than TAILSHIP_MAX_LINE_BYTES, cut to the limit.'),
    parseErrors: counter('parse_errors_total', 'Lines the parser could not read, shipped unparsed with parse_error.', ['parser']),
    filesWatched: gauge('files_watched', 'Files being tailed: open, parked (closed until they grow), or rotated ones being drained.'),
    openFiles: gauge('open_files', 'Descriptors held for tailed files: at most TAILSHIP_MAX_OPEN_FILES, plus rotated generations.'),
    openDeferred: counter('file_open_deferred_total', 'Opens put off for want of a descriptor (EMFILE, ENFILE); the file waits for a slot.', ['code']),
    filesRefused: counter(
      'files_refused_total',
      'Files not read: outside the volume, a link where none may be, tailship\'s own secrets or state, or not a regular file.',
      ['reason'],
    ),
    fileOpenErrors: counter('file_open_errors_total', 'Failed attempts to open or read a matched file.', ['code']),
    rotations: counter('rotations_total', 'Files that left their watched path (renamed away, replaced or deleted).'),
    truncations: counter('truncations_total', 'Files truncated under tailship (copytruncate, rewrites in place); read again from 0.'),
    generationsFound: counter(
      'rotated_generations_found_total',
      'Rotated files never seen at their watched path (rotated before discovery saw them, or while tailship was down), found in the directory and read.',
    ),
    copiesRead: counter('truncated_copies_read_total', 'Copies of truncated files (copytruncate) read from where reading had stopped.'),
    rotationLostBytes: counter(
      'rotation_lost_bytes_total',
      'Bytes known to have been in a truncated file, not read before the truncation, and found in no copy.',
    ),
    batchesSent: counter('batches_sent_total', 'Requests the collector accepted.'),
    recordsSent: counter('records_sent_total', 'Records the collector accepted.'),
    bytesSent: counter('bytes_sent_total', 'Uncompressed body bytes the collector accepted.'),
    sendFailures: counter('send_failures_total', 'Failed delivery attempts, by HTTP status or error class.', ['reason']),
    retries: counter('retries_total', 'Delivery retries scheduled.'),
    collectorDropped: counter(
      'collector_dropped_records_total',
      'Records in accepted requests that the collector says it discarded (OTLP partial success); not retried.',
    ),
    splits: counter('batch_splits_total', 'Batches split in halves after a 413.'),
    deadLettered: counter('dead_letter_records_total', 'Records written to the dead-letter file.'),
    deadLetterDropped: counter('dead_letter_dropped_total', 'Dead-letter records dropped to keep the file within its cap.'),
    memoryUsed: gauge('memory_budget_used_bytes', 'Bytes of encoded records held in memory until the collector acknowledges them.'),
    memoryLimit: gauge('memory_budget_limit_bytes', 'Most bytes of encoded records held: TAILSHIP_MEMORY_LIMIT, or the read-ahead when that is less.'),
    unacknowledged: gauge('unacknowledged_bytes', 'Bytes of the log files read and not yet acknowledged by the collector.'),
    inFlight: gauge('requests_in_flight', 'Requests being sent or waiting to retry.'),
    collectorUp: gauge('collector_up', '1 when the last delivery attempt succeeded, else 0.'),
    consecutiveFailures: gauge('collector_consecutive_failures', 'Failed attempts since the last success.'),
    lastSuccess: gauge('collector_last_success_timestamp_seconds', 'Time of the last accepted request.'),
    reclaimedBytes: counter('reclaimed_bytes_total', 'Bytes of the watched files whose disk blocks were freed once the collector had acknowledged them (TAILSHIP_RECLAIM_ACKED).'),
    reclaimRefused: counter('reclaim_refused_total', 'Times freeing acknowledged bytes was refused, by error code (EOPNOTSUPP: once per file system).', ['code']),
    filesDiskBytes: gauge('files_disk_bytes', 'Disk space the watched files use (st_blocks × 512), measured after a checkpoint: a file whose checkpoint moved at once, the others at least every 30 s.'),
    volumeLimit: gauge('volume_limit_bytes', 'TAILSHIP_VOLUME_LIMIT (0 when unset).'),
    volumeNearLimit: gauge('volume_near_limit', '1 while the watched files use more than 80 % of TAILSHIP_VOLUME_LIMIT, else 0.'),
    bytesBehind: gauge('file_bytes_behind', `File size minus the acknowledged offset, for the ${BYTES_BEHIND_TOP_FILES} files furthest behind.`, ['file']),
    totalBytesBehind: gauge('bytes_behind', 'File size minus the acknowledged offset, summed over every file being tailed.'),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
