/**
 * keygate's CloudWatch metrics, named once: the functions emit them (metrics.ts, as EMF log
 * lines) and the stack's alarms and dashboard read them (infra/monitoring.ts). Plain data, so
 * infra can import it without the Powertools runtime.
 *
 * Every metric carries the dimension `service` = keygate. Dimension sets below are the ones
 * emitted, so an alarm or graph must name exactly one of them.
 */
export const METRICS_NAMESPACE = 'keygate';
export const METRICS_SERVICE = 'keygate';

export const metricNames = {
  /** A presented key or token was checked. Sets: [service, outcome] and, for refusals, [service, reason]. */
  verifications: 'Verifications',
  /** An access token was issued. Set: [service]. */
  tokensIssued: 'TokensIssued',
  /** A lifecycle change was committed with its audit entry. Sets: [service], [service, action]. */
  lifecycleActions: 'LifecycleActions',
  /** Expiry notifications, by how they ended. Sets: [service], [service, channelType]. */
  notificationsSent: 'NotificationsSent',
  notificationsDropped: 'NotificationsDropped',
  notificationsFailed: 'NotificationsFailed',
  /** A key's use (lastUsedAt) could not be recorded; the request went on. Sets: [service], [service, error]. */
  useRecordsFailed: 'UseRecordsFailed',
  /** Usage-count writes of a flush failed; their counts are kept for the next. Sets: [service], [service, error]. */
  usageFlushesFailed: 'UsageFlushesFailed',
  /** Usage counts dropped because a process held its most pending writes (usage.maxBufferedEntries). Set: [service]. */
  usageCountsDropped: 'UsageCountsDropped',
  /** The daily rotation check: 1 when the signing-key rotation is overdue, else 0. Set: [service]. */
  signingKeyRotationOverdue: 'SigningKeyRotationOverdue',
} as const;

export type VerificationOutcome = 'allowed' | 'refused';
export type NotificationOutcome = 'sent' | 'dropped' | 'failed';
