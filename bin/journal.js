// The journal of `federate convert`: one file of JSON lines, appended to and flushed to disk
// (fsync) before any request of a batch leaves. A line is either a job's confirmed plan
// (`{"job": <JobHeader>}`, once, when the job starts) or one of the engine's small records
// (`{"kind": "sent", ...}`), which belong to the job above them. A file may hold several jobs
// one after another (a second run after the first finished, each `--interactive` choice); only
// the last may still be running. The engine restores a job from its header and records
// (`ConversionJob.restore`); this file only stores them.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';

/** A journal that cannot be read: its line (from 1) and why. */
export class JournalError extends Error {}

/**
 * The jobs a journal holds, `[{header, records}]` in file order; `[]` when the file does not
 * exist. A last line cut short (the process was killed while writing it) is left out: it was
 * being written, so the request it announced had not left.
 *
 * @param {string} file
 * @returns {{header: import('../lib/node.js').JobHeader, records: import('../lib/node.js').JobRecord[]}[]}
 */
export function readJournal(file) {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const jobs = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1 && !complete) return;
      throw new JournalError(`line ${i + 1} is not JSON`);
    }
    if (value && typeof value === 'object' && value.job && typeof value.job === 'object') {
      jobs.push({ header: value.job, records: [] });
    } else if (value && typeof value === 'object' && typeof value.kind === 'string') {
      if (!jobs.length) throw new JournalError(`line ${i + 1}: a record before any job`);
      jobs[jobs.length - 1].records.push(value);
    } else {
      throw new JournalError(`line ${i + 1} is neither a job nor a record`);
    }
  });
  return jobs;
}

/** Appends lines to a journal, each batch written and flushed (fsync) before `append` returns. */
export class JournalWriter {
  /** @param {string} file */
  constructor(file) {
    this.file = file;
    // A last line cut short by a kill is dropped (readJournal left it out) before appending.
    if (existsSync(file)) {
      const bytes = readFileSync(file);
      if (bytes.length && bytes[bytes.length - 1] !== 0x0a) truncateSync(file, bytes.lastIndexOf(0x0a) + 1);
    }
    this.fd = openSync(file, 'a');
    this.bytes = 0;
  }

  /** Writes `values` (one JSON line each) and flushes them to disk. Throws when it cannot. */
  append(values) {
    if (!values.length) return;
    const text = `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;
    writeSync(this.fd, text);
    fsyncSync(this.fd);
    this.bytes += Buffer.byteLength(text);
  }

  /** Starts a job: its confirmed plan, before any of its records. */
  startJob(header) {
    this.append([{ job: header }]);
  }

  close() {
    closeSync(this.fd);
  }
}
