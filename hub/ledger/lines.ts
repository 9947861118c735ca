/**
 * The ledger's JSON-lines files (nedb's line format) read a chunk at a time, forwards from an
 * offset or backwards from the end, so no file is ever loaded whole: trades.db and events.db
 * grow with history, and a string cannot hold more than about 512 MB anyway.
 */
import { closeSync, fstatSync, openSync, readSync } from 'fs';

// nedb's own line decoder (turns {"$$date": n} back into Dates), for full format compatibility.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lib/model ships no type declarations to import; the cast types it
export const nedbModel = require('@seald-io/nedb/lib/model') as { deserialize(line: string): unknown; checkObject(o: unknown): void };

export type Doc = Record<string, unknown> & { _id: string };

const CHUNK = 1 << 20;

/** One line of a data file as nedb's loader reads it; throws when it does not parse. */
export function parseLine(line: string): unknown {
  return line.includes('"$$date"') ? nedbModel.deserialize(line) : JSON.parse(line);
}

/**
 * Calls fn for every complete line (one ending in \n) from byte `from` on, with its byte offset
 * and byte length (without the \n). A last line without \n (torn by a crash or an append in
 * flight) is not passed. Returns the offset just past the last complete line.
 */
export function forEachLine(path: string, from: number, fn: (line: string, off: number, len: number) => void): number {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let pos = from; // file offset of carry[0]
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, pos + carry.length);
      if (n === 0) return pos;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        if (nl > start) fn(buf.toString('utf8', start, nl), pos + start, nl - start);
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
      pos += start;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls fn for every complete line from the end of the file backwards (newest first in an
 * append-only log) until it returns false. A torn last line is skipped.
 */
export function forEachLineBackward(path: string, fn: (line: string) => boolean): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    let end = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    // The text after the file's last \n is empty or a torn line: never passed.
    let rightmost = true;
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const chunk = Buffer.allocUnsafe(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const buf = carry.length ? Buffer.concat([chunk, carry]) : chunk;
      let stop = buf.length;
      while (stop > 0) {
        const nl = buf.lastIndexOf(10, stop - 1);
        if (nl < 0) break;
        if (rightmost) rightmost = false;
        else if (stop > nl + 1 && !fn(buf.toString('utf8', nl + 1, stop))) return;
        stop = nl;
      }
      carry = Buffer.from(buf.subarray(0, stop));
      end = start;
    }
    if (!rightmost && carry.length) fn(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Reads `len` bytes at `off` of an open file. */
export function readAt(fd: number, off: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, off + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}
