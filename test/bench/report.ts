import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../infra/api.js';

/** One line of the bench's table: a figure, its reference from the same run, and its target. */
export interface Row {
  measurement: string;
  result: string;
  reference: string;
  /** result ÷ reference on the figure the target is about; null when there is no reference. */
  ratio: number | null;
  target: string;
  /** null: no target for this row. */
  met: boolean | null;
  /** A must (an invariant, not a target): the bench fails when it does not hold. */
  must?: boolean;
  /** Says more than met/missed where a row has two targets. */
  verdict?: string;
}

export const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
export const us = (value: number) => `${value < 100 ? value.toFixed(1) : value.toFixed(0)} µs`;
export const ratio = (value: number) => `${value.toFixed(2)}×`;

function verdict(row: Row): string {
  if (row.verdict !== undefined) return row.verdict;
  if (row.met === null) return '';
  if (row.must) return row.met ? 'holds' : 'BROKEN';
  return row.met ? 'met' : 'missed';
}

/** A Markdown table, so the README can carry it as printed. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['measurement', 'result', 'reference (same run)', 'ratio', 'target', ''];
  const lines = rows.map((row) => [row.measurement, row.result, row.reference, row.ratio === null ? '' : ratio(row.ratio), row.target, verdict(row)]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)));
  const format = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [format(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}

export const BENCH_DIR = join(projectRoot, '.keygate', 'bench');

/** Writes the run as JSON under .keygate/bench/ (one file per run, and latest.json); returns the run's file. */
export function writeResults(results: Record<string, unknown>, startedAt: Date): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const file = join(BENCH_DIR, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(BENCH_DIR, 'latest.json'), text);
  return file;
}
