import { createHash } from 'node:crypto';

/** Bytes of a file's head used to tell two files with the same dev:inode apart. */
export const FINGERPRINT_BYTES = 1024;

export function fingerprintHash(head: Buffer, length: number): string {
  return createHash('sha256').update(head.subarray(0, length)).digest('hex').slice(0, 16);
}

/** Does a file whose first bytes are `head` match a fingerprint taken of `fpLen` bytes? */
export function fingerprintMatches(head: Buffer, fpLen: number, fpHash: string): boolean {
  return head.length >= fpLen && fingerprintHash(head, fpLen) === fpHash;
}
