/**
 * Capture files on disk: the file-system side of src/wire/pcap.ts, which
 * stays pure (it decodes and encodes bytes; this file opens, reads, writes
 * and closes files).
 *
 *   readCaptureFile(path): CaptureFile         // sync, whole file; throws
 *   openCapture(path | AsyncIterable<Uint8Array>, { highWaterMark? }): CaptureStream
 *   openPcapWriter(path, opts): PcapWriter     // creates or truncates path
 *   fdSink(fd, { close? }): PcapSyncSink       // a PcapWriter sink over an fd
 *
 * Errors name the file: ArpemuError 'ERR_PCAP_FORMAT' / 'ERR_PCAP_LINKTYPE'
 * for bad contents, the fs error (ENOENT, EACCES ...) for the file itself.
 */
import { closeSync, createReadStream, openSync, readFileSync, writeSync } from 'node:fs';
import { ArpemuError } from '../util/errors.js';
import {
  CaptureStream, PcapWriter, readCapture,
  type CaptureFile, type PcapSyncSink, type PcapWriterOptions,
} from '../wire/pcap.js';

/** Read a capture file synchronously (whole file in memory). Throws ArpemuError or fs errors. */
export function readCaptureFile(path: string): CaptureFile {
  const f = readCapture(readFileSync(path));
  if (f.error !== undefined) {
    throw new ArpemuError(f.error.code, `${path}: ${f.error.message}`);
  }
  return f;
}

/** The name the brief asked for; same as readCaptureFile (pcapng too). */
export const readPcapFile = readCaptureFile;

/**
 * Stream the records of a capture file (or of any async source of chunks)
 * without holding the whole file. See CaptureStream; `highWaterMark` is the
 * read size (256 KiB). A file's errors are prefixed with its path.
 */
export function openCapture(
  source: string | AsyncIterable<Uint8Array>,
  opts: { highWaterMark?: number } = {},
): CaptureStream {
  if (typeof source === 'string') {
    return new CaptureStream(createReadStream(source, { highWaterMark: opts.highWaterMark ?? 256 * 1024 }), `${source}: `);
  }
  return new CaptureStream(source);
}

/**
 * A PcapWriter sink writing to a file descriptor with blocking writes, so
 * replay output stays ordered without awaits. The fd is closed when the
 * writer closes only if `close` is true (default: the caller keeps it).
 */
export function fdSink(fd: number, opts: { close?: boolean } = {}): PcapSyncSink {
  const owned = opts.close === true;
  return {
    writeSync(bytes: Uint8Array): void {
      // writeSync may write less than asked (pipes, signals): loop.
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    },
    closeSync(): void {
      if (owned) closeSync(fd);
    },
  };
}

/** Create (or truncate) `path` and return a PcapWriter into it; close() closes the file. */
export function openPcapWriter(path: string, opts: PcapWriterOptions = {}): PcapWriter {
  const fd = openSync(path, 'w');
  try {
    return new PcapWriter(fdSink(fd, { close: true }), opts);
  } catch (e) {
    // Bad options: don't leak the descriptor just opened.
    closeSync(fd);
    throw e;
  }
}
