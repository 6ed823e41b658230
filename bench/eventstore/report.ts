import { readFile, writeFile } from 'node:fs/promises';
import type { Measurement } from './scenarios.js';

export interface BenchResults {
  machine: { cpus: number; cpuModel: string; node: string; postgres: string; date: string };
  rounds: number;
  /** Engines in column order; `baseline` is the last column. */
  engines: string[];
  baseline: string;
  skipped: Record<string, string>;
  rows: { scenario: string; results: Record<string, Measurement | undefined> }[];
}

const START = '<!-- eventstore-bench:start -->';
const END = '<!-- eventstore-bench:end -->';

const rate = (measurement: Measurement | undefined): string =>
  measurement ? Math.round(measurement.eventsPerSecond).toLocaleString('en-US') : '–';

const ratio = (ours: Measurement | undefined, baseline: Measurement | undefined): string =>
  ours && baseline ? `${(ours.eventsPerSecond / baseline.eventsPerSecond).toFixed(2)}×` : '–';

const table = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

export const renderTables = (results: BenchResults): string => {
  const ours = results.engines.filter((engine) => engine !== results.baseline);
  const ratios = table(
    ['scenario', ...ours.map((engine) => `${engine} / ${results.baseline}`)],
    results.rows.map((row) => [
      row.scenario,
      ...ours.map((engine) => ratio(row.results[engine], row.results[results.baseline])),
    ]),
  );
  const raw = table(
    ['scenario (events/s)', ...results.engines],
    results.rows.map((row) => [row.scenario, ...results.engines.map((engine) => rate(row.results[engine]))]),
  );
  return `${ratios}\n\n${raw}`;
};

const renderSection = (results: BenchResults, notes: string): string => {
  const { machine } = results;
  const skipped = Object.entries(results.skipped).map(
    ([engine, reason]) => `- ${engine}: not measured (${reason}).`,
  );
  return [
    START,
    `Run on ${machine.date}: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, PostgreSQL ${machine.postgres}` +
      ` (local server, shared by every PostgreSQL engine and by Emmett). Best of ${results.rounds} rounds per cell.`,
    '',
    'Ratios above 1× mean ours moved more events per second than Emmett on the same server in the same run.',
    '',
    renderTables(results),
    '',
    ...skipped,
    ...(skipped.length > 0 ? [''] : []),
    notes,
    END,
  ].join('\n');
};

/** Replaces this benchmark's section of the README, leaving the rest to the other benchmarks. */
export const writeReadmeSection = async (
  path: string,
  results: BenchResults,
  notes: string,
): Promise<void> => {
  const section = renderSection(results, notes);
  let readme: string;
  try {
    readme = await readFile(path, 'utf8');
  } catch {
    readme = '# calsync benchmarks\n';
  }
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const updated =
    start >= 0 && end > start
      ? readme.slice(0, start) + section + readme.slice(end + END.length)
      : `${readme.trimEnd()}\n\n## Event store\n\n${section}\n`;
  await writeFile(path, updated);
};
