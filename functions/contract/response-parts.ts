import * as z from 'zod';

/** Pieces the response schemas of the route contracts share. Objects are strict: see test/integration/openapi.test.ts. */
export const instant = z.iso.datetime();
export const actor = z.strictObject({ owner: z.string(), keyId: z.string().optional() }).meta({ id: 'Actor' });
export const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
