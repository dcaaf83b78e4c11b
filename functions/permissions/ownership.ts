import type { Principal } from './principal.js';
import { ForbiddenError } from '../shared/errors.js';

/**
 * Owner boundaries of channels and operator messages, as for keys (mayManage): admins
 * reach every owner's; other principals only their own owner's. Items written before channels
 * and operator messages had owners carry none: they are admins' alone.
 */
export function mayAccess(principal: Pick<Principal, 'owner' | 'expanded'>, owner: string | undefined): boolean {
  return principal.expanded.admin || (owner !== undefined && owner === principal.owner);
}

/**
 * The owner a listing is limited to: a non-admin's own (naming another is a 403, as for keys);
 * for an admin the one asked for, or none (every owner's, and the items without an owner).
 */
export function listedOwner(principal: Pick<Principal, 'owner' | 'expanded'>, requested: string | undefined, what: string): string | undefined {
  if (principal.expanded.admin) return requested;
  if (requested !== undefined && requested !== principal.owner) {
    throw new ForbiddenError(`you may list only ${what} of your own owner "${principal.owner}"`);
  }
  return principal.owner;
}

/** Admins manage every key; other principals only keys of their own owner. */
export function mayManage(principal: Pick<Principal, 'owner' | 'expanded'>, owner: string): boolean {
  return principal.expanded.admin || principal.owner === owner;
}
