import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CalcomEventType } from '@calsync/calcom';
import {
  type CalcomSimulator,
  startCalcomSimulator,
  type WebhookSendResult,
} from '@calsync/calcom-simulator';
import { nextPush } from '@calsync/domain';
import { type RunningServer, type StartServerOptions, sha256Hex, startServer } from '@calsync/server';
import { ApiClient } from './api-client.js';
import type { StoreEngine, StoreLocation } from './store-engines.js';
import { acme, tenants as defaultTenants, type Tenant } from './tenants.js';

export interface HarnessOptions {
  engine: StoreEngine;
  /** Names the test file in the store's folder or schema. */
  tag: string;
  tenants?: readonly Tenant[];
  /** Default `silent`; with `logDestination`, the level to capture at. */
  logLevel?: 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  logDestination?: StartServerOptions['logDestination'];
  /** The `sync` section of the configuration file (docs/operations.md). */
  sync?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** The `http` section of the configuration file: timeouts and rate limits (docs/limits.md). */
  http?: Record<string, unknown>;
  /** The `store` section of the configuration file: bounds on every wait for the store (docs/limits.md). */
  store?: Record<string, unknown>;
  /** The `readiness` section of the configuration file (docs/operations.md). */
  readiness?: Record<string, unknown>;
  /** The `cluster` section of the configuration file (docs/operations.md, "Several instances"). */
  cluster?: Record<string, unknown>;
}

/** The two spellings relays use for an event-type change (docs/sync.md); Cal.com itself sends neither. */
export type RelayTrigger = 'EVENT_TYPE_UPDATED' | 'EVENT_TYPE.UPDATED';

/**
 * The real calsync server over HTTP, on a real store, configured with companies whose Cal.com
 * is a simulator of its own: what the end-to-end tests drive. One per test file; tests keep
 * apart by registering services of their own.
 */
export class CalsyncHarness {
  private constructor(
    readonly simulator: CalcomSimulator,
    readonly tenants: readonly Tenant[],
    private readonly store: StoreLocation,
    private readonly configDir: string,
    private readonly options: HarnessOptions,
    private running: RunningServer,
  ) {}

  private readonly siblings = new Set<RunningServer>();

  static async start(options: HarnessOptions): Promise<CalsyncHarness> {
    const tenants = options.tenants ?? defaultTenants;
    const simulator = await startCalcomSimulator({
      keys: tenants.map((tenant) => ({ apiKey: tenant.apiKey, teamIds: [tenant.teamId] })),
      teams: tenants.map((tenant) => ({ id: tenant.teamId, name: tenant.id, eventTypes: tenant.eventTypes })),
    });
    const configDir = mkdtempSync(join(tmpdir(), `calsync-config-${options.tag}-`));
    const store = await options.engine.create(options.tag);
    try {
      writeFileSync(join(configDir, 'calsync.json'), JSON.stringify(configFile(tenants, simulator, options)));
      const running = await startServer(serverOptions(configDir, store, options));
      return new CalsyncHarness(simulator, tenants, store, configDir, options, running);
    } catch (error) {
      await simulator.close();
      await store.dispose();
      rmSync(configDir, { recursive: true, force: true });
      throw error;
    }
  }

  get server(): RunningServer {
    return this.running;
  }

  get url(): string {
    return this.running.url;
  }

  /** A client acting with the tenant's bearer token. */
  api(tenant: Tenant = acme): ApiClient {
    return new ApiClient(this.running.url, tenant.token);
  }

  /** A client that sends no bearer token. */
  anonymous(): ApiClient {
    return new ApiClient(this.running.url, null);
  }

  webhookUrl(companyId: string = acme.id): string {
    return `${this.running.url}/webhooks/calcom/${companyId}`;
  }

  /**
   * A new event type in the tenant's Cal.com team, as a person would create it there; its price is
   * the one `serviceBody()` registers (35.00 EUR), as set in Cal.com's payment settings.
   */
  createEventType(tenant: Tenant, fields: Partial<CalcomEventType> = {}): CalcomEventType {
    return this.simulator.control.uiCreateEventType(tenant.teamId, {
      title: 'Neuer Termin',
      slug: `termin-${Math.random().toString(36).slice(2, 10)}`,
      lengthInMinutes: 30,
      price: 3500,
      currency: 'eur',
      ...fields,
    });
  }

  /**
   * A person edits the event type in Cal.com's UI and a relay forwards the change as a webhook
   * signed with the tenant's secret, exactly as Cal.com signs.
   */
  async relayCalcomEdit(
    tenant: Tenant,
    eventTypeId: number,
    patch: Record<string, unknown>,
    trigger: RelayTrigger = 'EVENT_TYPE_UPDATED',
  ): Promise<WebhookSendResult> {
    const eventType = this.simulator.control.uiEditEventType(tenant.teamId, eventTypeId, patch);
    return this.simulator.control.sendWebhook({
      url: this.webhookUrl(tenant.id),
      secret: tenant.webhookSecret,
      triggerEvent: trigger,
      payload: { ...eventType },
    });
  }

  /**
   * Waits until the outbound sync has settled: every sync request has its outcome recorded, or is
   * held (open divergence, missing event type, paused team), or waits for a retry time. Event
   * driven — it wakes on each change the status projection reports — never a sleep. A push the process manager
   * delays to coalesce a burst of edits is waited for.
   */
  async syncSettled(): Promise<void> {
    const calsync = this.running.calsync;
    for (;;) {
      await calsync.sync.idle();
      // Listening before looking: a change between the look and the wait is not missed.
      let changed: () => void = () => {};
      const next = new Promise<void>((resolve) => {
        changed = resolve;
      });
      const unlisten = calsync.projection.onServiceChanged(() => changed());
      try {
        const waiting = calsync.readModel.all().some((state) => {
          const plan = nextPush(state);
          return plan !== null && plan.notBefore === null && !calsync.teams.isPaused(plan.teamId);
        });
        if (!waiting) return;
        await next;
      } finally {
        unlisten();
      }
    }
  }

  /**
   * Stops the server and starts it again on the same store, configuration and port, so clients made
   * before keep working (the simulator keeps running).
   */
  async restart(): Promise<void> {
    const port = new URL(this.running.url).port;
    await this.running.close();
    this.running = await startServer(serverOptions(this.configDir, this.store, this.options, port));
  }

  /** Another instance of the server on the same store and configuration (docs/operations.md, "Several instances"). */
  async startSibling(): Promise<RunningServer> {
    const sibling = await startServer(serverOptions(this.configDir, this.store, this.options));
    this.siblings.add(sibling);
    return sibling;
  }

  /** Stops a sibling (SIGTERM-like: it hands its teams over). */
  async stopSibling(sibling: RunningServer): Promise<void> {
    this.siblings.delete(sibling);
    await sibling.close();
  }

  async close(): Promise<void> {
    try {
      await Promise.all([...this.siblings].map((sibling) => sibling.close()));
      await this.running.close();
    } finally {
      await this.simulator.close();
      await this.store.dispose();
      rmSync(this.configDir, { recursive: true, force: true });
    }
  }
}

function configFile(tenants: readonly Tenant[], simulator: CalcomSimulator, options: HarnessOptions) {
  return {
    companies: tenants.map((tenant) => ({
      id: tenant.id,
      apiTokenSha256: [sha256Hex(tenant.token)],
      calcom: {
        apiUrl: simulator.url,
        teamId: tenant.teamId,
        // Read from the environment, the way an operator keeps secrets out of the file.
        apiKey: `env:${envNameOf(tenant, 'CALCOM_API_KEY')}`,
        webhookSecret: `env:${envNameOf(tenant, 'WEBHOOK_SECRET')}`,
      },
    })),
    ...(options.sync ? { sync: options.sync } : {}),
    ...(options.http ? { http: options.http } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    // No periodic run: reconciliation happens when a test asks for it.
    reconciliation: { intervalMinutes: 0 },
  };
}

function envNameOf(tenant: Tenant, suffix: string): string {
  return `${tenant.id.toUpperCase()}_${suffix}`;
}

function serverOptions(
  configDir: string,
  store: StoreLocation,
  options: HarnessOptions,
  port = '0',
): StartServerOptions {
  const tenants = options.tenants ?? defaultTenants;
  const secrets = Object.fromEntries(
    tenants.flatMap((tenant) => [
      [envNameOf(tenant, 'CALCOM_API_KEY'), tenant.apiKey],
      [envNameOf(tenant, 'WEBHOOK_SECRET'), tenant.webhookSecret],
    ]),
  );
  return {
    env: {
      PORT: port,
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? 'silent',
      CALSYNC_CONFIG: join(configDir, 'calsync.json'),
      ...store.env,
      ...secrets,
    },
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  };
}
