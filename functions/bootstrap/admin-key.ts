import { expandGrants } from '../permissions/grants.js';
import type { Deps } from '../runtime/deps.js';
import { createKey, type IssuedKey } from '../keys/key-lifecycle.js';
import type { Principal } from '../permissions/principal.js';

/** The owner of the first admin credential, and the actor recorded as its creator. */
export const ADMIN_OWNER = 'admin';
const BOOTSTRAP_ACTOR = 'keygate-bootstrap';

/**
 * Mints an admin key outside the API: the trust comes from whoever can run this (the deploy
 * role on AWS, the person at the machine locally). Each call creates a new key with a
 * timestamped name, so a lost credential is replaced by minting another and deleting the old.
 */
export async function mintAdminKey(deps: Deps): Promise<IssuedKey> {
  const grants = { roles: [{ role: deps.config.adminRole }], permissions: [] };
  const bootstrap: Principal = { owner: BOOTSTRAP_ACTOR, grants, expanded: expandGrants(deps.config.catalog, grants) };
  const stamp = deps.clock().toISOString().replace(/[:.]/g, '-');
  return createKey(deps, bootstrap, {
    name: `admin-${stamp}`,
    description: 'Admin credential minted by keygate bootstrap',
    owner: ADMIN_OWNER,
    roles: grants.roles,
    permissions: [],
    expiresIn: deps.config.policy.maxLifetime,
  });
}
