/**
 * The permission catalog: each resource (an API, or a part of keygate itself) with the access
 * it can be granted, and roles that bundle permissions. A deployment declares it once in
 * `functions/deployment-config.ts`; the stack and the local run both use that file.
 */
export const accessLevels = ['read', 'write'] as const;
export type Access = (typeof accessLevels)[number];

export interface ResourceDefinition {
  description: string;
  /** What can be granted on it: `['read']` makes a read-only resource. */
  access: Access[];
  /** Other names for the same resource (the console's name vs the API's). */
  aliases: string[];
  /** False for resources that exist but can never be granted to a key. */
  grantable: boolean;
}

export interface RoleDefinition {
  description: string;
  /** `resource:access` strings, or `*:read` / `*:*` for every grantable resource. */
  permissions: string[];
  /** A scoped role applies to listed instances (e.g. cloud account ids) or to all (`*`). */
  scoped: boolean;
  /** What the scope's instances are, for people reading the catalog. */
  scopeDescription?: string;
  /** An admin role manages every key; others manage only keys of their own owner. */
  admin: boolean;
}

/**
 * The validated catalog. Its schema (names, defaults) is in functions/deployment-config-validation.ts,
 * which the synth and the local run apply; the functions get the result compiled into their bundle.
 */
export interface Catalog {
  resources: Record<string, ResourceDefinition>;
  roles: Record<string, RoleDefinition>;
}

/** The catalog as a deployment writes it: `aliases`, `grantable`, `scoped` and `admin` have defaults. */
export interface CatalogInput {
  resources: Record<string, Omit<ResourceDefinition, 'aliases' | 'grantable'> & Partial<Pick<ResourceDefinition, 'aliases' | 'grantable'>>>;
  roles: Record<string, Omit<RoleDefinition, 'scoped' | 'admin'> & Partial<Pick<RoleDefinition, 'scoped' | 'admin'>>>;
}

/**
 * Catalog lookups by a name that came from a request. Own properties only: a plain object also
 * answers `constructor`, `__proto__`, `toString`... from Object.prototype, which must read as
 * "not in the catalog" (a 400), never as a definition.
 */
export function resourceNamed(catalog: Catalog, name: string): ResourceDefinition | undefined {
  return Object.hasOwn(catalog.resources, name) ? catalog.resources[name] : undefined;
}

export function roleNamed(catalog: Catalog, name: string): RoleDefinition | undefined {
  return Object.hasOwn(catalog.roles, name) ? catalog.roles[name] : undefined;
}
