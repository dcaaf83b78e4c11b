export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
}

/** Amazon SES on AWS, files in `.keygate/outbox/` in the local run. */
export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
}

/**
 * What channels and their delivery need on top of Deps. Optional in Deps: the Lambda entry
 * points that need it get it from the composition root (functions/runtime/notifications.ts); the local run
 * and tests put it into `deps.notifications`.
 */
export interface ChannelDeps {
  email?: EmailSender;
  /** The local run only: webhook channels may use plain http (test receivers on 127.0.0.1). */
  allowHttpWebhooks?: boolean;
  /**
   * The local run and tests only, never on AWS: non-public address ranges (CIDR) webhooks may
   * reach anyway (test receivers on 127.0.0.1). Absent, as on AWS: every non-public address is
   * refused (webhook-url.ts).
   */
  privateWebhookRanges?: readonly string[];
  /** How webhook host names are resolved; tests replace it. Absent: the system resolver (dns.lookup). */
  resolveHost?: HostResolver;
}

/** Every address a host name resolves to (dns.lookup with `all`). */
export type HostResolver = (hostname: string) => Promise<{ address: string; family: number }[]>;
