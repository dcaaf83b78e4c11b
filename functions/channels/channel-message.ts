/**
 * The one message a notification sends, in every channel's form: which key (name, id, owner),
 * what happened or is about to, and what to do. Built from the key as re-read when the
 * notification fires, from its public fields only: it never holds a key string, secret or hash.
 */
export interface NotificationMessage {
  /** Stable per notification (re)set: the webhook-id and the operator message id. */
  id: string;
  subject: string;
  text: string;
  /** The webhook body (Standard Webhooks shape: type, timestamp, data). */
  payload: ExpiringPayload | LeakedPayload;
}

interface MessageData {
  notificationId: string;
  key: { id: string; name: string; owner: string };
  notificationAt: string;
  channel: { id: string; name: string };
  subject: string;
  text: string;
}

/** A reminder before the key's effective expiry. */
export interface ExpiringPayload {
  type: 'key.expiring';
  timestamp: string;
  data: MessageData & {
    expiresAt: string;
    expiryReason: 'expires_at' | 'inactivity';
    fixedExpiresAt: string | null;
    inactivityExpiresAt: string;
  };
}

/** GitHub secret scanning found the key's string in public, and keygate suspended the key. */
export interface LeakedPayload {
  type: 'key.leaked';
  timestamp: string;
  data: MessageData & {
    /** The key's status when the alert was sent: `suspended`, or what it became since (resumed: `active`). */
    status: string;
    suspendedAt: string | null;
    /** Why it was suspended: names where GitHub found the string, when the report said. */
    suspendedReason: string | null;
  };
}
