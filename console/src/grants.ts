/** What the console offers a person to grant: only what they hold (keygate refuses the rest anyway). */

export interface Me {
  owner: string;
  admin: boolean;
  person?: { issuer: string; subject: string; email?: string };
  grants: { roles: { role: string; scope?: '*' | string[] }[]; permissions: string[] };
  permissions: Record<string, '*' | string[]>;
}

export interface CatalogResource {
  name: string;
  description: string;
  access: ('read' | 'write')[];
  grantable: boolean;
  permissions: string[];
}

export interface CatalogRole {
  name: string;
  description: string;
  scoped: boolean;
  scopeDescription?: string;
  admin: boolean;
}

export interface Catalog {
  resources: CatalogResource[];
  roles: CatalogRole[];
}

/** A direct permission holds on every instance: the caller must hold it on every instance too. */
export function mayGrantPermission(me: Me, permission: string): boolean {
  return me.admin || me.permissions[permission] === '*';
}

/** A role: admins grant any; others only a role they hold themselves (a scoped one within their own scope: roleScopeProblem). */
export function mayGrantRole(me: Me, role: CatalogRole): boolean {
  if (me.admin) return true;
  if (role.admin) return false;
  return me.grants.roles.some((held) => held.role === role.name);
}

/** Why a non-admin may not grant a scoped role on these instances ('*': all), or undefined when they may. */
export function roleScopeProblem(me: Me, role: string, scope: '*' | string[]): string | undefined {
  if (me.admin) return undefined;
  const held = me.grants.roles.filter((g) => g.role === role).map((g) => g.scope ?? '*');
  if (held.includes('*')) return undefined;
  const mine = new Set(held.flatMap((s) => (s === '*' ? [] : s)));
  if (scope === '*') return `${role}: you hold it on ${[...mine].join(', ')} only, not on all.`;
  const outside = scope.filter((id) => !mine.has(id));
  return outside.length === 0 ? undefined : `${role}: you do not hold it on ${outside.join(', ')}.`;
}

/** The resources the new-key window lists: grantable ones, with the access each allows (read-only ones offer read). */
export function grantableResources(catalog: Catalog): CatalogResource[] {
  return catalog.resources.filter((r) => r.grantable && r.access.length > 0);
}
