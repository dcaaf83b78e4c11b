import * as z from 'zod';
import { personSchema } from '../contract/response-parts.js';
import { KEY_ID } from '../shared/ids.js';
import { ownerSchema } from '../shared/owner-schema.js';
import { pageQuerySchema } from '../shared/page-query.js';
import { authenticationFailures } from '../shared/errors.js';
import { type AuditEntry, auditActions } from './audit-model.js';
import { lazySchema } from '../shared/on-first-use.js';

/** An instant as the audit log stores it (toISOString: UTC, milliseconds), so string order is time order. */
const instant = (field: string) =>
  z.iso
    .datetime({ offset: true, message: `${field} must be an ISO 8601 date-time such as 2026-11-23T00:00:00Z` })
    .transform((text) => new Date(text))
    .refine((date) => date.getUTCFullYear() >= 1970 && date.getUTCFullYear() <= 9999, `${field} must lie between the years 1970 and 9999`)
    .transform((date) => date.toISOString());

export const listAuditQuerySchema = lazySchema(() =>
  z
    .strictObject({
      /** Entries about this key (its lifecycle and failed authentications with it). */
      keyId: z.string().regex(KEY_ID, 'keyId must be the 22-character id of a key').optional(),
      /** Entries by this owner's keys (the owner of the calling key). */
      actor: ownerSchema.optional(),
      action: z.enum(auditActions).optional(),
      /** Inclusive. */
      from: instant('from').optional(),
      /** Exclusive. */
      to: instant('to').optional(),
      ...pageQuerySchema.unwrap().shape,
    })
    .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, 'from must be before to'),
);
export type ListAuditInput = z.infer<typeof listAuditQuerySchema>;


export { personSchema };

export const auditEntrySchema = lazySchema(() =>
  z
    .strictObject({
      id: z.string(),
      at: z.iso.datetime(),
      action: z.enum(auditActions),
      outcome: z.enum(['success', 'failure']),
      actor: z.strictObject({ owner: z.string(), keyId: z.string().optional(), person: personSchema.unwrap().optional() }).nullable(),
      keyId: z.string().nullable(),
      target: z.strictObject({ type: z.string(), id: z.string() }).nullable(),
      reason: z.enum(authenticationFailures).nullable(),
      requestId: z.string().nullable(),
      sourceIp: z.string().nullable(),
      userAgent: z.string().nullable(),
      details: z.record(z.string(), z.unknown()),
      attempts: z.number().int().min(1).optional(),
      lastAttemptAt: z.iso.datetime().optional(),
    })
    .meta({ id: 'AuditEntry', description: 'One audited change or (aggregated per key, reason, source IP and minute) failed authentication' }),
);

export const auditPageSchema = lazySchema(() => z.strictObject({ items: z.array(auditEntrySchema.unwrap()), nextCursor: z.string().nullable() }));

// The schema describes the stored entry exactly: a field added to one must be added to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _entryMatches: Same<z.output<typeof auditEntrySchema>, AuditEntry> = true;
void _entryMatches;
