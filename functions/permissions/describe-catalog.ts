import type { Catalog } from './catalog.js';

/** The catalog as clients read it, to build least-privilege keys. */
export function describeCatalog(catalog: Catalog) {
  return {
    resources: Object.entries(catalog.resources).map(([name, r]) => ({
      name,
      description: r.description,
      access: r.access,
      aliases: r.aliases,
      grantable: r.grantable,
      permissions: r.grantable ? r.access.map((a) => `${name}:${a}`) : [],
    })),
    roles: Object.entries(catalog.roles).map(([name, r]) => ({
      name,
      description: r.description,
      permissions: r.permissions,
      scoped: r.scoped,
      ...(r.scopeDescription === undefined ? {} : { scopeDescription: r.scopeDescription }),
      admin: r.admin,
    })),
  };
}
