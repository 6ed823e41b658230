import type { Result } from 'neverthrow';
import {
  type CalcomSnapshot,
  type CalcomValues,
  type DomainError,
  decide,
  evolve,
  fromCalcomValues,
  initialState,
  nextPush,
  type ResolutionDecision,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
  type SyncedFields,
  toCalcomValues,
} from '../src/index.js';
import type { OutcomeModel, Recipe, Registration } from './service-arbitraries.js';
import {
  edit,
  link,
  markMissing,
  observe,
  recordFailure,
  recordSuccess,
  register,
  requestSync,
  resetSyncStatus,
  resolve,
  unlink,
} from './service-commands.js';
import { calcomShows, minute, TEAM_ID } from './service-facts.js';

/** Random histories played through decide and evolve, every step kept for the properties to inspect. */

export interface Step {
  command: ServiceCommand;
  before: ServiceState;
  result: Result<ServiceEvent[], DomainError>;
  after: ServiceState;
}

export interface Scenario {
  steps: Step[];
  events: ServiceEvent[];
  state: ServiceState;
}

/** Runs a registration and recipes through decide and evolve, keeping every step. */
export function runScenario(
  registration: Registration,
  recipes: readonly Recipe[],
  model: OutcomeModel = 'anyOrder',
): Scenario {
  const steps: Step[] = [];
  const events: ServiceEvent[] = [];
  const requested = new Map<string, CalcomValues>();
  let state = initialState();
  const apply = (command: ServiceCommand) => {
    const result = decide(command, state);
    const emitted = result.isOk() ? result.value : [];
    const after = emitted.reduce(evolve, state);
    for (const event of emitted) {
      if (event.type === 'SyncRequested') requested.set(event.data.syncId, event.data.values);
    }
    steps.push({ command, before: state, result, after });
    events.push(...emitted);
    state = after;
  };
  apply(registrationCommand(registration));
  recipes.forEach((recipe, index) => {
    const command = commandOf(recipe, state, requested, index + 1, model);
    if (command) apply(command);
  });
  return { steps, events, state };
}

function registrationCommand({ fields, calcom }: Registration): ServiceCommand {
  const options =
    calcom === 'link'
      ? { calcom: { teamId: TEAM_ID, eventTypeId: 1001 } }
      : calcom === 'create'
        ? { calcom: { teamId: TEAM_ID, create: true as const } }
        : {};
  return register(fields, { ...options, at: minute(0), syncId: 's0' });
}

function commandOf(
  recipe: Recipe,
  state: ServiceState,
  requested: Map<string, CalcomValues>,
  step: number,
  model: OutcomeModel,
): ServiceCommand | null {
  const at = minute(step);
  const syncId = `s${step}`;
  const fields = state.fields;
  if (!fields) return null;
  switch (recipe.kind) {
    case 'edit':
      return edit(recipe.patch, {
        at,
        syncId,
        ...(recipe.stale ? { expectedRevision: state.revision - 1 } : {}),
      });
    case 'link':
      return link(recipe.eventTypeId, { at, syncId });
    case 'unlink':
      return unlink({ at });
    case 'requestSync':
      return requestSync(syncId, { at, trigger: recipe.trigger });
    case 'succeed':
    case 'fail': {
      const target = outcomeTarget(recipe.pick, state, requested, model);
      if (!target) return null;
      if (recipe.kind === 'fail') {
        return recordFailure(target.syncId, recipe.failure, {
          at,
          retryAt: recipe.final ? null : minute(step + 1),
          httpStatus: recipe.failure === 'not_found' ? 404 : 500,
        });
      }
      const createdId = target.operation === 'create' ? 5000 + step : (state.link?.eventTypeId ?? 1001);
      const command = recordSuccess(target.syncId, fields, { at, eventTypeId: createdId });
      return { ...command, pushed: target.values };
    }
    case 'observe':
      return observe(snapshotOf(recipe, state), recipe.source, { at });
    case 'resolve': {
      const open = state.divergence?.fields ?? [{ field: 'name' as const }];
      const decisions: Record<string, ResolutionDecision> = Object.fromEntries(
        open.map((entry, index) => [
          entry.field,
          recipe.accept[index % recipe.accept.length]
            ? ('accept_calcom' as const)
            : ('keep_platform' as const),
        ]),
      );
      if (!recipe.complete) delete decisions[open[0]!.field];
      return resolve(decisions, { at, confirm: recipe.confirm, syncId });
    }
    case 'reset':
      return resetSyncStatus(syncId, { at });
    case 'markMissing':
      return markMissing(recipe.evidence, {
        at,
        eventTypeId: state.link?.eventTypeId ?? 1001,
        ...(recipe.evidence === 'reconciliation' ? { consecutiveMisses: 3 } : {}),
      });
  }
}

interface OutcomeTarget {
  syncId: string;
  operation: 'update' | 'create';
  values: CalcomValues;
}

function outcomeTarget(
  pick: number,
  state: ServiceState,
  requested: Map<string, CalcomValues>,
  model: OutcomeModel,
): OutcomeTarget | null {
  if (model === 'processManager') {
    const plan = nextPush(state);
    return plan ? { syncId: plan.syncId, operation: plan.operation, values: plan.values } : null;
  }
  const current = state.sync.requested;
  const known = [...requested.entries()];
  const candidates: OutcomeTarget[] = [
    ...(current ? [{ syncId: current.syncId, operation: current.operation, values: current.values }] : []),
    ...known.map(([syncId, values]) => ({ syncId, operation: 'update' as const, values })),
  ];
  return candidates.length === 0 ? null : (candidates[pick % candidates.length] ?? null);
}

function snapshotOf(recipe: Extract<Recipe, { kind: 'observe' }>, state: ServiceState): CalcomSnapshot {
  const fields = state.fields!;
  const seen =
    recipe.from === 'confirmed' && state.lastPushed
      ? state.lastPushed
      : recipe.from === 'pending' && state.sync.requested
        ? state.sync.requested.values
        : toCalcomValues(fields);
  const shown: SyncedFields = { ...fromCalcomValues(seen), price: fields.price, ...recipe.overrides };
  return calcomShows(shown, { id: recipe.otherEventType ? 9999 : (state.link?.eventTypeId ?? 1001) });
}
