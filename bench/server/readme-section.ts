import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
export const FEED_SECTION_HEADING = '## Store reads per event and the company audit feed';

/** Where the run happened, for the first line of a section. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpu}), Node ${process.version}`;
}

/**
 * Writes `body` between `<!-- name:start -->` and `<!-- name:end -->` of bench/README.md,
 * replacing an earlier run of the same name; a new block goes at the end of the section
 * under `heading` (made at the end of the file when missing). A block of another name (the "before" of an "after") is left as it is.
 */
export function writeReadmeBlock(name: string, body: string, heading = FEED_SECTION_HEADING): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let readme = readFileSync(readmePath, 'utf8');
  const begin = readme.indexOf(start);
  const finish = readme.indexOf(end);
  if (begin >= 0 && finish > begin) {
    readme = readme.slice(0, begin) + block + readme.slice(finish + end.length);
  } else {
    if (!readme.includes(heading)) readme = `${readme.trimEnd()}\n\n${heading}\n`;
    const headingAt = readme.indexOf(heading);
    const nextHeading = readme.indexOf('\n## ', headingAt + heading.length);
    const insertAt = nextHeading < 0 ? readme.length : nextHeading;
    readme = `${readme.slice(0, insertAt).trimEnd()}\n\n${block}\n${readme.slice(insertAt)}`;
  }
  writeFileSync(readmePath, `${readme.trimEnd()}\n`);
  return readmePath;
}

export const count = (value: number): string => value.toLocaleString('en-US');
