/**
 * Pure rules of the console's expiry fields (no DOM): the Details wording in Redwood's words,
 * and the bounds of the expiry picker (now + 1 minute … now + the policy's max lifetime).
 * Unit-tested in test/unit/console/expiry.test.ts. keygate checks everything again.
 */

export interface KeyExpiryFacts {
  status: 'active' | 'suspended' | 'expired' | 'expired_inactive' | 'revoked';
  expiresAt: string | null;
  inactivityExpiresAt: string | null;
  effectiveExpiresAt: string | null;
  expiryReason: 'expires_at' | 'inactivity' | null;
  revokedAt?: string | null;
}

export type FormatDate = (iso: string) => string;

/**
 * The Details column: when the last use plus the not-accessed period comes before the fixed
 * expiry, the date the key will expire if it is not used again; when the fixed expiry comes
 * first, that date; after an inactivity expiry, that it expired due to inactivity.
 */
export function expiryDetails(key: KeyExpiryFacts, format: FormatDate): string {
  switch (key.status) {
    case 'expired_inactive':
      return key.inactivityExpiresAt ? `Expired due to inactivity on ${format(key.inactivityExpiresAt)}` : 'Expired due to inactivity';
    case 'expired':
      return key.expiresAt ? `Expired on ${format(key.expiresAt)} (its fixed expiry)` : 'Expired';
    case 'revoked':
      return key.revokedAt ? `Deleted on ${format(key.revokedAt)}` : 'Deleted';
    case 'suspended':
      return `Suspended (refused until resumed). ${expiryDetails({ ...key, status: 'active' }, format)}`;
    case 'active':
      if (key.expiryReason === 'inactivity' && key.inactivityExpiresAt) return `Will expire on ${format(key.inactivityExpiresAt)} if not used again`;
      if (key.expiresAt) return `Expires on ${format(key.expiresAt)}: the fixed expiry comes before the inactivity limit`;
      return key.inactivityExpiresAt ? `Will expire on ${format(key.inactivityExpiresAt)} if not used again` : '';
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface ExpiryBounds {
  min: Date;
  max: Date;
}

/** The earliest and latest expiry a new key may have: now + 1 minute … now + the max lifetime (in days). */
export function expiryBounds(now: Date, maxLifetimeDays: number): ExpiryBounds {
  return { min: new Date(now.getTime() + MINUTE), max: new Date(now.getTime() + maxLifetimeDays * DAY) };
}

export type ExpiryChoice = { kind: 'preset'; days: number } | { kind: 'days'; days: number } | { kind: 'date'; local: string };

/** What the API is sent: `expiresIn` (an ISO 8601 duration) or `expiresAt`; or why the choice is out of bounds. */
export type ResolvedExpiry = { ok: true; body: { expiresIn: string } | { expiresAt: string }; at: Date } | { ok: false; message: string };

/**
 * Checks a choice against the bounds. `local` is a `datetime-local` value (YYYY-MM-DDTHH:mm) read
 * in the person's own time zone (`parseLocal` turns it into an instant; the browser's by default).
 */
export function resolveExpiry(
  choice: ExpiryChoice,
  now: Date,
  maxLifetimeDays: number,
  format: FormatDate,
  parseLocal: (local: string) => Date = (local) => new Date(local),
): ResolvedExpiry {
  const bounds = expiryBounds(now, maxLifetimeDays);
  const range = `between ${format(bounds.min.toISOString())} and ${format(bounds.max.toISOString())}`;
  if (choice.kind === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(choice.local)) return { ok: false, message: 'Pick a date and time.' };
    const at = parseLocal(choice.local);
    if (Number.isNaN(at.getTime())) return { ok: false, message: 'Pick a date and time.' };
    if (at < bounds.min || at > bounds.max) return { ok: false, message: `The expiry must lie ${range}.` };
    return { ok: true, body: { expiresAt: at.toISOString() }, at };
  }
  if (!Number.isInteger(choice.days) || choice.days < 1) return { ok: false, message: 'The number of days must be a whole number of at least 1.' };
  if (choice.days > maxLifetimeDays) return { ok: false, message: `At most ${maxLifetimeDays} days: the expiry must lie ${range}.` };
  return { ok: true, body: { expiresIn: `P${choice.days}D` }, at: new Date(now.getTime() + choice.days * DAY) };
}

/** A `datetime-local` value for an instant, in the time zone of `offsetMinutes` (Date#getTimezoneOffset). */
export function toLocalInput(at: Date, offsetMinutes: number = at.getTimezoneOffset()): string {
  return new Date(at.getTime() - offsetMinutes * MINUTE).toISOString().slice(0, 16);
}

/** Presets from ISO 8601 day durations (`P30D`) to days; the default is the longest that fits (six months). */
export function presetDays(presets: readonly string[], maxLifetimeDays: number): number[] {
  return presets
    .map((p) => /^P(\d+)D$/.exec(p)?.[1])
    .filter((d): d is string => d !== undefined)
    .map(Number)
    .filter((d) => d <= maxLifetimeDays);
}
