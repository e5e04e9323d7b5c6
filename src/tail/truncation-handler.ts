import { dirname } from 'node:path';
import { fileKey } from '../record/record-id.js';
import { findCopy } from './copy-finder.js';
import type { FileRegistry } from './file-registry.js';
import type { TailFs } from './file-system.js';
import type { FileTailer } from './file-tailer.js';
import type { Adoption } from './generation-finder.js';

const COPY_WAIT_MS = 10_000;

export interface TruncationOptions {
  readonly host: string;
  readonly maxLineBytes: number;
  /** How long a generation whose copy is not there waits for it (default 10 s). */
  readonly copyWaitMs?: number;
}

export interface TruncationObserver {
  truncated(path: string, previousOffset: number): void;
  lost?(path: string, bytes: number | undefined, reason: string): void;
}

/**
 * copytruncate, `>`, a rewrite in place: the file restarts at 0 under a new key, and the
 * generation it held — with its read position, partial line and ack queue — carries on in
 * the copy, found by content (copy-finder.ts) and read on with the same record ids. With
 * no copy yet (a compressor may be writing it) the generation waits in the registry's
 * orphans, where the generation finder can still match a copy that appears; after
 * `copyWaitMs` what it had unread is reported lost. Nothing here reads the file: this
 * costs no memory budget, so it works while reading is stopped.
 */
export class TruncationHandler {
  readonly #fs: TailFs;
  readonly #registry: FileRegistry;
  readonly #opts: TruncationOptions;
  readonly #observer: TruncationObserver;

  constructor(fs: TailFs, registry: FileRegistry, opts: TruncationOptions, observer: TruncationObserver) {
    this.#fs = fs;
    this.#registry = registry;
    this.#opts = opts;
    this.#observer = observer;
  }

  /** Restarts `t` at 0. Returns the copy to read its old generation from, when found now. */
  async handle(t: FileTailer, nowMs: number): Promise<Adoption | undefined> {
    t.beginTruncation();
    await t.idle();
    const newKey = fileKey(this.#opts.host, t.dev, t.ino, Buffer.from(`${t.key}:truncated:${nowMs}`));
    const generation = t.restart(newKey, this.#opts.maxLineBytes);
    this.#observer.truncated(t.path, generation.position);
    const dir = dirname(t.path);
    const unread = generation.knownSize - generation.splitter.pendingStart;
    if (generation.head.length === 0) {
      if (unread > 0) this.#observer.lost?.(t.path, unread, 'truncated before its first bytes were read');
      return undefined;
    }
    const orphan = { generation, path: t.path, dir, expiresMs: nowMs + (this.#opts.copyWaitMs ?? COPY_WAIT_MS) };
    const copy = await findCopy(this.#fs, dir, generation, (id) => this.#registry.tailers.has(id));
    if (copy !== undefined) return { kind: 'copy', file: copy, orphan };
    if (unread > 0) this.#registry.orphans.push(orphan);
    return undefined;
  }

  /** Reports as lost what generations waiting for a copy since before `nowMs` had unread. */
  expire(nowMs: number): void {
    const orphans = this.#registry.orphans;
    for (const o of [...orphans]) {
      if (o.expiresMs > nowMs) continue;
      orphans.splice(orphans.indexOf(o), 1);
      const g = o.generation;
      this.#observer.lost?.(
        o.path,
        g.knownSize - g.splitter.pendingStart,
        'truncated, and no copy of what was unread was found (deleted, or compressed other than with gzip)',
      );
    }
  }
}
