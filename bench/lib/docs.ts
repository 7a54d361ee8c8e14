/**
 * Writes one benchmark's block of docs/benchmarks.md between its markers. Other scripts write
 * their own blocks at the same time: the file is read right before the write, only our block is
 * replaced, and the new content lands with a rename so no reader sees half a file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HEADER = '# Benchmarks\n\nNumbers written by the scripts under `bench/`; rerun them to refresh.\n';

export function benchmarksFile(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'benchmarks.md');
}

/** Replaces the `<!-- bench:NAME:start -->` ... `<!-- bench:NAME:end -->` block (appends it when absent). */
export function writeSection(name: string, markdown: string, file = benchmarksFile()): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  mkdirSync(path.dirname(file), { recursive: true });
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end, from === -1 ? 0 : from);
  if (from !== -1 && to > from) doc = doc.slice(0, from) + section + doc.slice(to + end.length);
  else doc = `${doc.trimEnd()}\n\n${section}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc);
  renameSync(tmp, file);
  return file;
}
