import * as z from 'zod';

/**
 * The permission catalog: each resource (an API, or a part of keygate itself) with the access
 * it can be granted, and roles that bundle permissions. A deployment declares it once in
 * `functions/deployment-config.ts`; the stack and the local run both use that file.
 */
export const accessLevels = ['read', 'write'] as const;
export type Access = (typeof accessLevels)[number];

const resourceName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'resource names are lower-case words joined by "-"');

export const resourceDefinitionSchema = z.strictObject({
  description: z.string(),
  /** What can be granted on it: `['read']` makes a read-only resource. */
  access: z.array(z.enum(accessLevels)).min(1),
  /** Other names for the same resource (the console's name vs the API's). */
  aliases: z.array(resourceName).default([]),
  /** False for resources that exist but can never be granted to a key. */
  grantable: z.boolean().default(true),
});

export const roleDefinitionSchema = z.strictObject({
  description: z.string(),
  /** `resource:access` strings, or `*:read` / `*:*` for every grantable resource. */
  permissions: z.array(z.string()).min(1),
  /** A scoped role applies to listed instances (e.g. cloud account ids) or to all (`*`). */
  scoped: z.boolean().default(false),
  /** What the scope's instances are, for people reading the catalog. */
  scopeDescription: z.string().optional(),
  /** An admin role manages every key; others manage only keys of their own owner. */
  admin: z.boolean().default(false),
});

export const catalogSchema = z.strictObject({
  resources: z.record(resourceName, resourceDefinitionSchema),
  roles: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/), roleDefinitionSchema),
});

export type CatalogInput = z.input<typeof catalogSchema>;
export type Catalog = z.output<typeof catalogSchema>;

export type ResourceDefinition = Catalog['resources'][string];
export type RoleDefinition = Catalog['roles'][string];

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
