/**
 * The one message a notification sends, in every channel's form: which key (name, id, owner),
 * when and why it expires, and what to do. Built from the key as re-read when the notification
 * fires, from its public fields only: it never holds a key string, secret or hash.
 */
export interface NotificationMessage {
  /** Stable per notification (re)set: the webhook-id and the operator message id. */
  id: string;
  subject: string;
  text: string;
  /** The webhook body (Standard Webhooks shape: type, timestamp, data). */
  payload: {
    type: 'key.expiring';
    timestamp: string;
    data: {
      notificationId: string;
      key: { id: string; name: string; owner: string };
      expiresAt: string;
      expiryReason: 'expires_at' | 'inactivity';
      fixedExpiresAt: string | null;
      inactivityExpiresAt: string;
      notificationAt: string;
      channel: { id: string; name: string };
      subject: string;
      text: string;
    };
  };
}
