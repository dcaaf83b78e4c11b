import { Temporal } from 'temporal-polyfill';
import { ValidationError } from './errors.js';

const MAX_DURATION_YEARS = 100;

/**
 * ISO 8601 durations (`P30D`, `P6M`, `PT1H`) applied in UTC calendar arithmetic, so `P6M` from
 * 31 August lands on 28 February, as a person would expect.
 */
export function parseDuration(text: string, field: string): Temporal.Duration {
  const duration = durationOrUndefined(text);
  if (duration === undefined) throw new ValidationError(`${field} must be an ISO 8601 duration such as P30D, P6M or PT12H; got "${text}"`);
  if (duration.sign <= 0) throw new ValidationError(`${field} must be a positive duration; got "${text}"`);
  // Nothing keygate takes is longer than a century; the bound also keeps calendar arithmetic on it
  // in range (Temporal throws a RangeError past about 275,000 years).
  const now = Temporal.Now.zonedDateTimeISO('UTC');
  let end: Temporal.ZonedDateTime | undefined;
  try {
    end = now.add(duration);
  } catch {
    end = undefined;
  }
  if (end === undefined || end.year - now.year > MAX_DURATION_YEARS) {
    throw new ValidationError(`${field} must be at most ${MAX_DURATION_YEARS} years; got "${text}"`);
  }
  return duration;
}

/** `text` read as an ISO 8601 duration; undefined when it is not one (for callers that word their own error). */
export function durationOrUndefined(text: string): Temporal.Duration | undefined {
  try {
    return Temporal.Duration.from(text);
  } catch {
    return undefined;
  }
}

export function addDuration(instant: Date, duration: Temporal.Duration | string): Date {
  const d = typeof duration === 'string' ? Temporal.Duration.from(duration) : duration;
  const zoned = Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO('UTC');
  return new Date(zoned.add(d).epochMilliseconds);
}

export function subtractDuration(instant: Date, duration: Temporal.Duration | string): Date {
  const d = typeof duration === 'string' ? Temporal.Duration.from(duration) : duration;
  return addDuration(instant, d.negated());
}
