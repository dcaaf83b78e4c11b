import * as z from 'zod';

/**
 * An owner: the user or integration keys, channels and operator messages belong to. No '#':
 * owners are part of DynamoDB keys (key-store.ts, channel-store.ts). Kept here, not with the key
 * schemas, so the notification schemas can use it without an import cycle (the key schemas
 * import the notification input schema).
 */
export const ownerSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@+:=-]{1,128}$/, 'owner must be 1-128 letters, digits or . _ @ + : = -');
