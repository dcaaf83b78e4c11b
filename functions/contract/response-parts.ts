import * as z from 'zod';
import { lazySchema } from '../shared/on-first-use.js';

/** Pieces the response schemas of the route contracts share. Objects are strict: see test/integration/openapi.test.ts. */
export const instant = lazySchema(() => z.iso.datetime());
/** A person signed in to the console (OpenID Connect): who they are at their issuer. */
export const personSchema = lazySchema(() => z.strictObject({ issuer: z.string(), subject: z.string(), email: z.string().optional() }));
export const actor = lazySchema(() => z.strictObject({ owner: z.string(), keyId: z.string().optional(), person: personSchema.unwrap().optional() }).meta({ id: 'Actor' }));
export const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
