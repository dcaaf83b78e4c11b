import { deploymentConfig } from '../../functions/deployment-config.js';
import { expandGrants, type Grants } from '../../functions/permissions/grants.js';
import type { Principal } from '../../functions/permissions/principal.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { MemoryKeyStore } from './memory-key-store.js';

let worlds = 0;

/**
 * Deps for unit tests of the key rules: the in-memory key store, a clock the test moves, no
 * default reminders (they would read channels), and a DynamoDB client that fails the test if
 * anything reaches it.
 */
export function keyUnitWorld(start = '2026-09-01T12:00:00.000Z') {
  const store = new MemoryKeyStore();
  let now = new Date(start);
  const unreachable = new Proxy(
    {},
    {
      get() {
        throw new Error('a unit test of the key rules reached DynamoDB');
      },
    },
  );
  const deps: Deps = {
    ddb: unreachable as Deps['ddb'],
    // Its own name: the once-a-minute use record is remembered per table and key.
    tableName: `unit-${++worlds}`,
    clock: () => now,
    config: { ...deploymentConfig, notifications: { ...deploymentConfig.notifications, defaultChannel: null } },
    keys: store,
  };
  return {
    deps,
    store,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

export function principalOf(owner: string, grants: Partial<Grants>, keyId = 'caller'): Principal {
  const full: Grants = { roles: grants.roles ?? [], permissions: grants.permissions ?? [] };
  return { owner, keyId, grants: full, expanded: expandGrants(deploymentConfig.catalog, full) };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
