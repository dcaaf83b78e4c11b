import type { SignInSettings } from './auth.js';

/** What keygate's API and the console's settings look like, as far as the console reads them. */
export interface ConsoleConfig {
  signIn: SignInSettings | null;
  policy: {
    defaultLifetime: string;
    maxLifetime: string;
    maxLifetimeDays: number;
    defaultLifetimeDays: number;
    notAccessedPeriod: string;
    maxResetGracePeriod: string;
    maxRotationOverlap: string;
  };
  expiryPresets: string[];
}

export interface Actor {
  owner: string;
  keyId?: string;
  person?: { issuer: string; subject: string; email?: string };
}

export interface KeyNotification {
  at: string;
  channelId: string;
  status: string;
  firedAt?: string | null;
}

export interface KeyDetails {
  id: string;
  name: string;
  description: string;
  owner: string;
  roles: { role: string; scope?: '*' | string[] }[];
  permissions: string[];
  status: 'active' | 'suspended' | 'expired' | 'expired_inactive' | 'revoked';
  createdAt: string;
  createdBy: Actor;
  lastUsedAt: string | null;
  expiresAt: string | null;
  inactivityExpiresAt: string | null;
  effectiveExpiresAt: string | null;
  expiryReason: 'expires_at' | 'inactivity' | null;
  revokedAt?: string | null;
  previousSecretValidUntil?: string | null;
  notification: KeyNotification | null;
  defaultNotifications?: KeyNotification[];
  /** Alerts sent because GitHub secret scanning reported the key and keygate suspended it. */
  leakAlerts?: KeyNotification[];
  suspendedReason?: string | null;
  predecessorId?: string | null;
  successorId?: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Channel {
  id: string;
  type: 'email' | 'webhook' | 'operator';
  name: string;
  owner: string | null;
  adminChannel: boolean;
  createdAt: string;
  addresses?: string[];
  url?: string;
}

export interface OperatorMessage {
  id: string;
  channelName: string;
  keyId: string;
  owner: string | null;
  subject: string;
  text: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: Actor | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  action: string;
  outcome: 'success' | 'failure';
  actor: Actor | null;
  keyId: string | null;
  target: { type: string; id: string } | null;
  reason: string | null;
  sourceIp: string | null;
  details: Record<string, unknown>;
}

/** What the shown-once window shows: a key string after create or reset, or a webhook signing secret. */
export interface Secret {
  title: string;
  id: string;
  idLabel: string;
  secret: string;
  secretLabel: string;
  endpoints?: { tokenEndpoint: string; baseUrl: string };
}

/** GET /v1/keys/{id}'s usage24h: uses in the current hour and the 23 before it. */
export interface KeyUsage24h {
  since: string;
  allowed: number;
  rateLimited: number;
  refused: number;
}
