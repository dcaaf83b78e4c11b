import * as z from 'zod';

/**
 * Human-readable text a caller chooses (key and channel names, descriptions). It is shown in
 * listings, logs, emails and terminals, so it holds nothing that breaks or disguises a line:
 * no control or format characters (\p{C}: C0/C1 controls, bidi overrides, zero-width
 * characters, unassigned and private-use code points) and no line or paragraph separators
 * (U+2028, U+2029: \p{Zl}, \p{Zp}, which \p{C} does not cover). Descriptions may keep tab and
 * newline.
 */
const DESCRIPTION_REFUSED = /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u;

export function nameSchema(field = 'name') {
  return z
    .string()
    .trim()
    .min(1, `${field} must not be empty`)
    .max(64, `${field} must be at most 64 characters`)
    .regex(/^[^\p{C}\p{Zl}\p{Zp}]+$/u, `${field} must not contain control characters or line separators`);
}

export function descriptionSchema(field = 'description') {
  return z
    .string()
    .max(512, `${field} must be at most 512 characters`)
    .refine(
      (s) => !DESCRIPTION_REFUSED.test(s.replace(/[\t\n]/g, '')),
      `${field} must not contain control characters, bidirectional overrides or line separators other than tab and newline`,
    );
}
