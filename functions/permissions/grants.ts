import * as z from 'zod';
import { ValidationError } from '../shared/errors.js';
import { type Access, accessLevels, type Catalog, resourceNamed, roleNamed } from './catalog.js';
import { lazySchema, onFirstUse } from '../shared/on-first-use.js';

/**
 * Grants: what a key may do. A key holds roles (some scoped to instances) and direct
 * permissions. Everything stored is canonical: aliases resolved, duplicates removed, sorted.
 */
export const scopeIdSchema = lazySchema(() => z.string().regex(/^[A-Za-z0-9._:@/-]{1,128}$/, 'scope ids are 1-128 letters, digits or . _ : @ / -'));

export const roleGrantSchema = lazySchema(() =>
  z.strictObject({
    role: z.string().min(1).max(64),
    scope: z.union([z.literal('*'), z.array(scopeIdSchema.unwrap()).max(100)]).optional(),
  }),
);

/** The grant fields of a key's create and edit bodies (functions/keys/schemas.ts), built on first use. */
export const grantsInputSchema = onFirstUse(() => ({
  roles: z.array(roleGrantSchema.unwrap()).max(20),
  permissions: z.array(z.string().min(1).max(130)).max(100),
}));

export type RoleGrant = z.infer<typeof roleGrantSchema>;

export interface Grants {
  roles: RoleGrant[];
  permissions: string[];
}

/** `*` or a set of instance ids, per permission. */
type Scope = '*' | ReadonlySet<string>;

export interface Expanded {
  readonly admin: boolean;
  readonly permissions: ReadonlyMap<string, Scope>;
}

/**
 * Held permissions as callers read them: `{ "alerts:read": "*", "cloud-accounts:read": ["acct-1"] }`.
 * Here, with no I/O beside it, so a backend reading the authorizer's context loads no database client.
 */
export type HeldPermissions = Record<string, '*' | string[]>;

/**
 * The order `localeCompare` gives names of the catalog's alphabet (`[a-z0-9-]`, and `resource:access`
 * for permissions) without it: the first `localeCompare` of a process builds an ICU collator, 8–20 ms
 * of a cold start's first request here. Over that alphabet ICU's root order is `-` < `:` < digits <
 * letters, the code-unit order but for `:`, which sorts as `/` does (test/unit/grants.test.ts).
 */
export function catalogOrder(a: string, b: string): number {
  const x = a.replace(':', '/');
  const y = b.replace(':', '/');
  return x < y ? -1 : x > y ? 1 : 0;
}

export function heldPermissions(expanded: Expanded): HeldPermissions {
  const held: HeldPermissions = {};
  for (const [permission, scope] of [...expanded.permissions].sort(([a], [b]) => catalogOrder(a, b))) {
    held[permission] = scope === '*' ? '*' : [...scope].sort();
  }
  return held;
}

function resolveResource(catalog: Catalog, name: string): string | undefined {
  if (resourceNamed(catalog, name)) return name;
  return Object.entries(catalog.resources).find(([, r]) => r.aliases.includes(name))?.[0];
}

/** Parses `resource:access`, resolving aliases. Throws a ValidationError that names the grant. */
export function parsePermission(catalog: Catalog, text: string): { resource: string; access: Access } {
  const match = /^([a-z][a-z0-9-]*):([a-z]+)$/.exec(text);
  if (!match) throw new ValidationError(`"${text}" is not a permission: write it as resource:access, e.g. "alerts:read"`, 'invalid_grant');
  const [, name = '', access = ''] = match;
  const resource = resolveResource(catalog, name);
  if (!resource) throw new ValidationError(`"${text}": there is no resource "${name}" in the catalog (GET /v1/catalog lists them)`, 'invalid_grant');
  if (!(accessLevels as readonly string[]).includes(access)) {
    throw new ValidationError(`"${text}": access must be read or write`, 'invalid_grant');
  }
  const definition = resourceNamed(catalog, resource);
  if (!definition?.grantable) throw new ValidationError(`"${text}": ${resource} can never be granted to a key`, 'invalid_grant');
  if (!definition.access.includes(access as Access)) {
    throw new ValidationError(`"${text}": ${resource} is ${definition.access.join('/')}-only; ${access} cannot be granted`, 'invalid_grant');
  }
  return { resource, access: access as Access };
}

/** Validates grants against the catalog and returns their canonical form. */
export function normalizeGrants(catalog: Catalog, input: Grants): Grants {
  const permissions = [...new Set(input.permissions.map((p) => {
    const { resource, access } = parsePermission(catalog, p);
    return `${resource}:${access}`;
  }))].sort();

  const byRole = new Map<string, RoleGrant>();
  for (const grant of input.roles) {
    const role = roleNamed(catalog, grant.role);
    if (!role) throw new ValidationError(`role "${grant.role}" is not in the catalog (GET /v1/catalog lists the roles)`, 'invalid_grant');
    if (role.scoped) {
      if (grant.scope === undefined || (Array.isArray(grant.scope) && grant.scope.length === 0)) {
        throw new ValidationError(`role "${grant.role}" is scoped: give "scope" as a non-empty list of ${role.scopeDescription ?? 'instance ids'} or "*" for all`, 'invalid_grant');
      }
    } else if (grant.scope !== undefined) {
      throw new ValidationError(`role "${grant.role}" is not scoped: remove "scope"`, 'invalid_grant');
    }
    // The same role twice merges its scopes: `*` wins over any list.
    const previous = byRole.get(grant.role);
    const scope = mergeScopes(previous?.scope, grant.scope);
    byRole.set(grant.role, scope === undefined ? { role: grant.role } : { role: grant.role, scope });
  }
  const roles = [...byRole.values()].sort((a, b) => catalogOrder(a.role, b.role));
  return { roles, permissions };
}

function mergeScopes(a: RoleGrant['scope'], b: RoleGrant['scope']): RoleGrant['scope'] {
  if (a === undefined) return Array.isArray(b) ? [...new Set(b)].sort() : b;
  if (b === undefined) return a;
  if (a === '*' || b === '*') return '*';
  return [...new Set([...a, ...b])].sort();
}

/** Every grantable `resource:access` a role's permission patterns stand for. */
function rolePermissions(catalog: Catalog, patterns: readonly string[]): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    const [resource = '', access = ''] = pattern.split(':');
    for (const [name, def] of Object.entries(catalog.resources)) {
      if (!def.grantable || (resource !== '*' && resource !== name)) continue;
      for (const level of def.access) if (access === '*' || access === level) out.push(`${name}:${level}`);
    }
  }
  return out;
}

function unionScope(a: Scope | undefined, b: Scope): Scope {
  if (a === undefined) return b;
  if (a === '*' || b === '*') return '*';
  return new Set([...a, ...b]);
}

/** Flattens roles and direct permissions into one map of permission → scope. */
export function expandGrants(catalog: Catalog, grants: Grants): Expanded {
  const permissions = new Map<string, Scope>();
  let admin = false;
  for (const p of grants.permissions) permissions.set(p, '*');
  for (const grant of grants.roles) {
    const role = roleNamed(catalog, grant.role);
    if (!role) continue; // a role removed from the catalog grants nothing any more
    admin ||= role.admin;
    const scope: Scope = grant.scope === undefined || grant.scope === '*' ? '*' : new Set(grant.scope);
    for (const p of rolePermissions(catalog, role.permissions)) permissions.set(p, unionScope(permissions.get(p), scope));
  }
  return { admin, permissions };
}

/**
 * True when `holder` holds `permission` (aliases resolved) on `instance`, or on every instance
 * when none is named.
 */
export function hasPermission(catalog: Catalog, holder: Expanded, permission: string, instance?: string): boolean {
  const [name = '', access = ''] = permission.split(':');
  const resource = resolveResource(catalog, name) ?? name;
  const scope = holder.permissions.get(`${resource}:${access}`);
  if (scope === undefined) return false;
  if (scope === '*') return true;
  return instance !== undefined && scope.has(instance);
}

/**
 * The grants in `requested` that `holder` does not hold itself, as readable strings; empty
 * when the holder may hand them all out. A principal can never grant more than it holds.
 */
export function missingGrants(catalog: Catalog, holder: Expanded, requested: Grants): string[] {
  const missing: string[] = [];
  for (const grant of requested.roles) {
    const role = roleNamed(catalog, grant.role);
    if (!role) continue;
    if (role.admin && !holder.admin) {
      missing.push(`role ${grant.role}`);
      continue;
    }
    const instances = grant.scope === undefined || grant.scope === '*' ? undefined : grant.scope;
    for (const p of rolePermissions(catalog, role.permissions)) {
      const held = instances ? instances.every((i) => hasPermission(catalog, holder, p, i)) : hasPermission(catalog, holder, p);
      if (!held) {
        missing.push(`role ${grant.role}${instances ? ` on ${instances.join(', ')}` : grant.scope === '*' ? ' on all instances' : ''}`);
        break;
      }
    }
  }
  for (const p of requested.permissions) if (!hasPermission(catalog, holder, p)) missing.push(p);
  return missing;
}
