import * as z from 'zod';
import { defineContract } from '../contract/route-contract.js';
import { authentication } from '../contract/table-access.js';

export const catalogSchema = z.strictObject({
  resources: z.array(
    z.strictObject({
      name: z.string(),
      description: z.string(),
      access: z.array(z.enum(['read', 'write'])),
      aliases: z.array(z.string()),
      grantable: z.boolean(),
      permissions: z.array(z.string()),
    }),
  ),
  roles: z.array(
    z.strictObject({
      name: z.string(),
      description: z.string(),
      permissions: z.array(z.string()),
      scoped: z.boolean(),
      scopeDescription: z.string().optional(),
      admin: z.boolean(),
    }),
  ),
});

export const getCatalogContract = defineContract({
  id: 'GetCatalog',
  method: 'GET',
  path: '/v1/catalog',
  entry: 'functions/catalog/get-catalog.ts',
  permission: 'authenticated',
  tableAccess: authentication,
  summary: 'Permission catalog and roles',
  responses: { 200: { description: 'Resources, their grantable access and aliases, and roles', schema: catalogSchema } },
});
