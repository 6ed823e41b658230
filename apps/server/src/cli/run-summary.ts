import { needsAttention, type ReconciliationFinding } from '@calsync/domain';
import type { z } from 'zod';
import type { runViewSchema } from '../http/schemas/run-schemas.js';

export type RunViewBody = z.output<typeof runViewSchema>;

/** Exit codes scripts can rely on. */
export const EXIT = { clean: 0, findings: 1, aborted: 2, failure: 3 } as const;

/** 0 when nothing needs a person, 1 when something does, 2 when the run aborted. */
export function exitCodeOf(run: RunViewBody): number {
  if (run.state === 'aborted') return EXIT.aborted;
  if (run.state !== 'completed' || !run.counts) return EXIT.failure;
  return needsAttention(run.counts) ? EXIT.findings : EXIT.clean;
}

function money(price: { amount: number; currency: string }): string {
  return `${price.currency} ${(price.amount / 100).toFixed(2)}`;
}

function isPrice(value: unknown): value is { amount: number; currency: string } {
  return typeof value === 'object' && value !== null && 'amount' in value && 'currency' in value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  return isPrice(value) ? money(value) : JSON.stringify(value);
}

function row(finding: ReconciliationFinding): [string, string, string, string] | null {
  switch (finding.kind) {
    case 'confirmed':
      return null;
    case 'diverged': {
      const fields = finding.fields.map(
        (f) => `${f.field}: platform ${show(f.platform)}, Cal.com ${show(f.calcom)}`,
      );
      const note = finding.alreadyRecorded ? ' (already recorded)' : '';
      return ['diverged', finding.serviceId, String(finding.eventTypeId), fields.join('; ') + note];
    }
    case 'missing':
      return [
        'missing',
        finding.serviceId,
        String(finding.eventTypeId),
        `not listed in ${finding.consecutiveMisses} of ${finding.missesBeforeOrphan} consecutive runs before it counts as deleted`,
      ];
    case 'orphaned':
      return [
        'orphaned',
        finding.serviceId,
        String(finding.eventTypeId),
        `not listed in ${finding.consecutiveMisses} consecutive runs: recorded as missing in Cal.com`,
      ];
    case 'still_orphaned':
      return ['orphaned', finding.serviceId, String(finding.eventTypeId), 'still missing in Cal.com'];
    case 'reappeared':
      return [
        'reappeared',
        finding.serviceId,
        String(finding.eventTypeId),
        'listed again: reset the sync status to push',
      ];
    case 'import_candidate':
      return [
        'candidate',
        '-',
        String(finding.eventTypeId),
        `${show(finding.title)} /${finding.slug}, ${finding.lengthInMinutes} min, ${money(finding.price)}${finding.hidden ? ', hidden' : ''}`,
      ];
  }
}

function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = rows.reduce<number[]>(
    (acc, cells) => cells.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)),
    [],
  );
  return rows.map((cells) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The summary a person reads after a run: what happened, the counts, one line per finding. */
export function formatRunSummary(run: RunViewBody): string {
  const lines = [
    `Reconciliation ${run.runId} of ${run.companyId} (Cal.com team ${run.teamId}), ${run.mode}: ${run.state}`,
  ];
  if (run.state === 'aborted') {
    lines.push(`  aborted: ${run.reason?.code ?? 'UNKNOWN'}`, `  ${run.reason?.message ?? ''}`);
    return `${lines.join('\n')}\n`;
  }
  const c = run.counts;
  if (c) {
    lines.push(
      `  linked ${c.linked} · listed ${c.listed} · confirmed ${c.confirmed} · diverged ${c.diverged} · missing ${c.missing} · orphaned ${c.orphaned + c.stillOrphaned} · reappeared ${c.reappeared} · candidates ${c.candidates}`,
    );
  }
  const rows = run.findings.flatMap((finding) => {
    const cells = row(finding);
    return cells ? [cells] : [];
  });
  if (rows.length === 0) {
    lines.push('', '  Nothing needs attention: Cal.com holds what the platform pushed.');
  } else {
    lines.push(
      '',
      ...table([['FINDING', 'SERVICE', 'EVENT TYPE', 'DETAIL'], ...rows]).map((line) => `  ${line}`),
    );
  }
  if (run.mode === 'check') {
    lines.push('', '  check: nothing was recorded on any service; --apply records exactly these findings.');
  } else {
    lines.push('', `  apply: ${run.serviceEventsAppended} service event(s) recorded.`);
  }
  return `${lines.join('\n')}\n`;
}
