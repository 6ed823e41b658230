import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calcomValuesEqual,
  decide,
  deriveStatus,
  fieldNames,
  fieldValueEqual,
  foldService,
  isPushableField,
  parseServiceEvent,
  type ServiceState,
  statusView,
  toCalcomValues,
} from '../src/index.js';
import {
  fieldPatchArb,
  type OutcomeModel,
  platformOnlyPatchArb,
  type Recipe,
  type Registration,
  scenarioArb,
} from './service-arbitraries.js';
import { edit } from './service-commands.js';
import { minute } from './service-facts.js';
import { runScenario, type Scenario } from './service-histories.js';

/**
 * The properties draw a registration and recipes (so a counterexample reads as a short story)
 * and play them through decide and evolve.
 */
const scenarios = scenarioArb;
const play = (
  { registration, recipes }: { registration: Registration; recipes: Recipe[] },
  model: OutcomeModel = 'anyOrder',
) => runScenario(registration, recipes, model);

function everyState(scenario: Scenario): ServiceState[] {
  return scenario.steps.map((step) => step.after);
}

const fromCalcom = new Set([
  'RecordCalcomObservation',
  'MarkCalcomEventTypeMissing',
  'RecordSyncSucceeded',
  'RecordSyncFailed',
]);

describe('properties of the Service decider over random histories', () => {
  it("(1) no Cal.com observation ever changes a platform field; only an admin's accept_calcom resolution does", () => {
    fc.assert(
      fc.property(scenarios, (drawn) => {
        const { steps } = play(drawn);
        for (const { command, before, result, after } of steps) {
          const events = result.isOk() ? result.value : [];
          if (fromCalcom.has(command.type)) {
            expect(after.fields).toEqual(before.fields);
            expect(events.map((event) => event.type)).not.toContain('ServiceEdited');
          }
          for (const event of events) {
            if (event.type !== 'ServiceEdited') continue;
            expect(event.data.actor).toMatch(/^admin:/);
            if (event.data.reason === 'accept_calcom') {
              expect(command.type === 'ResolveDivergence' && command.confirm).toBe(true);
            } else {
              expect(command.type).toBe('EditService');
            }
          }
          const changed =
            before.fields !== null &&
            !fieldNames.every((f) => fieldValueEqual(f, before.fields?.[f], after.fields?.[f]));
          if (changed) expect(events.some((event) => event.type === 'ServiceEdited')).toBe(true);
        }
      }),
    );
  });

  it('(2) bookable ⇔ isActive ∧ status = synced, in every reachable state, and a non-bookable service says why', () => {
    fc.assert(
      fc.property(scenarios, (drawn) => {
        for (const state of everyState(play(drawn))) {
          const view = statusView(state);
          expect(state.status).toBe(deriveStatus(state));
          expect(view.bookable).toBe(state.fields?.isActive === true && state.status === 'synced');
          expect(view.notBookableReasons.length === 0).toBe(view.bookable);
        }
      }),
    );
  });

  it('(2) "synced" is never a lie: when outcomes are those of planned pushes, synced means Cal.com confirmed the current values', () => {
    fc.assert(
      fc.property(scenarios, (drawn) => {
        for (const state of everyState(play(drawn, 'processManager'))) {
          if (state.status !== 'synced') continue;
          expect(state.link).not.toBeNull();
          expect(state.divergence).toBeNull();
          expect(state.missing).toBeNull();
          expect(state.sync.requested).toBeNull();
          expect(state.lastPushed).not.toBeNull();
          expect(calcomValuesEqual(state.lastPushed!, toCalcomValues(state.fields!))).toBe(true);
        }
      }),
    );
  });

  it('(3) an edit that changes nothing appends nothing', () => {
    fc.assert(
      fc.property(scenarios, fc.array(fc.constantFrom(...fieldNames), { maxLength: 6 }), (drawn, chosen) => {
        const scenario = play(drawn);
        const fields = scenario.state.fields!;
        const patch: Record<string, unknown> = Object.fromEntries(
          chosen.map((field) => [field, fields[field]]),
        );
        // The same values as an admin may type them: currency in lower case, name with spaces.
        if ('price' in patch)
          patch.price = { ...fields.price, currency: fields.price.currency.toLowerCase() };
        if ('name' in patch) patch.name = ` ${fields.name} `;
        const decided = decideOn(scenario, { kind: 'edit', patch, stale: false });
        expect(decided).toEqual([]);
      }),
    );
  });

  it('(3) an edit appends only real changes, each from the current value to the new one', () => {
    fc.assert(
      fc.property(scenarios, fieldPatchArb, (drawn, patch) => {
        const scenario = play(drawn);
        const fields = scenario.state.fields!;
        const events = decideOn(scenario, { kind: 'edit', patch, stale: false }) ?? [];
        const edited = events.find((event) => event.type === 'ServiceEdited');
        const changes = edited?.type === 'ServiceEdited' ? edited.data.changes : [];
        for (const change of changes) {
          expect(fieldValueEqual(change.field, change.from, change.to)).toBe(false);
          expect(change.from).toEqual(fields[change.field]);
        }
        const expected = Object.keys(patch).filter(
          (field) =>
            !fieldValueEqual(
              field as never,
              fields[field as keyof typeof fields],
              patch[field as keyof typeof patch],
            ),
        );
        expect(changes.map((change) => change.field).sort()).toEqual(expected.sort());
      }),
    );
  });

  it('(4) editing only platform-only fields never requests a sync', () => {
    fc.assert(
      fc.property(scenarios, platformOnlyPatchArb, (drawn, patch) => {
        const scenario = play(drawn);
        const events = decideOn(scenario, { kind: 'edit', patch, stale: false }) ?? [];
        expect(events.map((event) => event.type)).not.toContain('SyncRequested');
      }),
    );
  });

  it('(4) an edit requests a sync only when a field Cal.com accepts changed', () => {
    fc.assert(
      fc.property(scenarios, fieldPatchArb, (drawn, patch) => {
        const scenario = play(drawn);
        const events = decideOn(scenario, { kind: 'edit', patch, stale: false }) ?? [];
        const edited = events.find((event) => event.type === 'ServiceEdited');
        const pushable =
          edited?.type === 'ServiceEdited' &&
          edited.data.changes.some((change) => isPushableField(change.field));
        if (!pushable) expect(events.map((event) => event.type)).not.toContain('SyncRequested');
      }),
    );
  });

  it('(5) evolve accepts every event sequence decide can produce, and every event passes its schema on write and on read', () => {
    fc.assert(
      fc.property(scenarios, (drawn) => {
        const scenario = play(drawn);
        for (const event of scenario.events) {
          const onWrite = parseServiceEvent(event.type, event.data);
          expect(onWrite.isOk()).toBe(true);
          const onRead = parseServiceEvent(event.type, JSON.parse(JSON.stringify(event.data)));
          expect(onRead._unsafeUnwrap()).toEqual(event);
        }
        const replayed = foldService(
          scenario.events.map((event) =>
            parseServiceEvent(event.type, JSON.parse(JSON.stringify(event.data)))._unsafeUnwrap(),
          ),
        );
        expect(replayed).toEqual(scenario.state);
        expect(replayed.revision).toBe(scenario.events.length);
      }),
    );
  });

  it('a refused command appends nothing and says what to do', () => {
    fc.assert(
      fc.property(scenarios, (drawn) => {
        for (const step of play(drawn).steps) {
          if (step.result.isErr()) {
            expect(step.after).toBe(step.before);
            expect(step.result.error.message.length).toBeGreaterThan(20);
          }
        }
      }),
    );
  });
});

/** The events an edit of an admin would produce at the end of a scenario (asserting it is accepted). */
function decideOn(scenario: Scenario, recipe: Extract<Recipe, { kind: 'edit' }>) {
  const result = decide(edit(recipe.patch, { at: minute(99), syncId: 'probe' }), scenario.state);
  expect(result.isOk()).toBe(true);
  return result.isOk() ? result.value : null;
}
