import { createHash } from 'node:crypto';

/**
 * A file's key: 16 hex chars (64 bits) of SHA-256 over the host, the file's dev:inode
 * and its first bytes when first seen. It is kept in the checkpoint, so it survives
 * restarts even as the fingerprint grows.
 */
export function fileKey(host: string, dev: number, ino: number, head: Buffer): string {
  return createHash('sha256').update(`${host}\0${dev}:${ino}\0`).update(head).digest('hex').slice(0, 16);
}

/**
 * A record's id: `<file key>-<offset in hex>`. Within one file it is unique by
 * construction (one line per offset) and identical when the line is re-sent after a
 * crash. Two files collide only if their 64-bit keys do: for n files the chance is about
 * n²/2^65 — 3·10⁻⁸ for a million files — unlike a 64-bit hash per line, whose birthday
 * bound (lines²/2^65) reaches percents at a billion lines, and a collision in an
 * idempotent collector silently drops a line.
 */
export function recordId(key: string, offset: number): string {
  return `${key}-${offset.toString(16)}`;
}

/**
 * The id of a multiline record joined from the lines in [start, end): `<key>-<start>-<end>`.
 * Still the first line's offset, so it sorts and reads like a single line's id; the end
 * is added because joining depends on time (TAILSHIP_MULTILINE_TIMEOUT) and not only on
 * the bytes: if a timeout cut a record before a crash and the re-read after it joins the
 * lines differently, the two versions must not share an id, or an idempotent collector
 * would keep the first and drop the lines only the second carries. The same bytes joined
 * the same way — the usual re-send after a crash — get the same id. Within a file, one
 * (start, end) pair is one record, so uniqueness is that of `recordId`.
 */
export function joinedRecordId(key: string, start: number, end: number): string {
  return `${key}-${start.toString(16)}-${end.toString(16)}`;
}
