import {
  abortReasonSchema,
  reconciliationCountsSchema,
  reconciliationFindingSchema,
  reconciliationModes,
  syncedFieldsSchema,
} from '@calsync/domain';
import { z } from 'zod';
import { runStates } from '../../reconciliation/run-journal.js';

/** The HTTP shapes of reconciliation runs and import candidates: the routes serve them, the CLI parses them. */

export const startRunBodySchema = z
  .strictObject({
    mode: z.enum(reconciliationModes).meta({ description: 'check reports; apply also records' }),
  })
  .meta({ id: 'StartReconciliation' });

export const runStartedSchema = z.object({
  runId: z.string(),
  alreadyRunning: z.boolean().meta({ description: 'A run of the team was under way: its id, no new run' }),
});

export const runViewSchema = z
  .object({
    runId: z.string(),
    companyId: z.string(),
    teamId: z.number().int(),
    mode: z.enum(reconciliationModes),
    state: z.enum(runStates),
    actor: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    reason: abortReasonSchema.nullable(),
    counts: reconciliationCountsSchema.nullable(),
    findings: z.array(reconciliationFindingSchema),
    serviceEventsAppended: z.number().int(),
  })
  .meta({ id: 'ReconciliationRun' });

export const importCandidateSchema = z
  .object({
    eventTypeId: z.number().int(),
    teamId: z.number().int(),
    title: z.string(),
    slug: z.string(),
    lengthInMinutes: z.number().int(),
    hidden: z.boolean(),
    price: z.object({ amount: z.number().int(), currency: z.string() }),
    importAs: syncedFieldsSchema.meta({ description: 'The synced fields the imported service gets' }),
  })
  .meta({ id: 'ImportCandidate' });
