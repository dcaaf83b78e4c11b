import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalSecretBox } from '../functions/channels/secret-box.js';
import type { IssuedKey } from '../functions/keys/key-issuing.js';
import { deploymentConfig } from '../functions/deployment-config.js';
import { systemClock } from '../functions/shared/clock.js';
import type { Deps } from '../functions/runtime/deps.js';
import { documentClient } from '../functions/shared/dynamodb.js';
import { ensureTable } from './create-table.js';
import { DataDirInUseError, type DynamoDbLocal, JavaMissingError, localDynamoClientConfig, startDynamoDbLocal } from './dynamodb-local.js';

/**
 * What `npm start` and `npm run admin:mint` share: the local data under `<project>/.keygate/`
 * (git-ignored), the DynamoDB Local that serves it, and the admin key file.
 */

// Both commands run on Node 20 on purpose (see TOOLCHAIN); the SDK's notice that its 2027
// releases need Node 22 would be the first thing a new user reads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
export const LOCAL_DIR = join(PROJECT_ROOT, '.keygate');
export const ADMIN_KEY_FILE = join(LOCAL_DIR, 'admin.key');
const DYNAMODB_DIR = join(LOCAL_DIR, 'dynamodb');
/** The local stand-in for the stack's webhook-secrets KMS key: 32 random bytes, made on first start, owner-only. */
const WEBHOOK_SECRETS_KEY_FILE = join(LOCAL_DIR, 'webhook-secrets.key');

function localWebhookSecrets(): LocalSecretBox {
  if (!existsSync(WEBHOOK_SECRETS_KEY_FILE)) {
    const fd = openSync(WEBHOOK_SECRETS_KEY_FILE, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64'));
    } finally {
      closeSync(fd);
    }
  }
  return new LocalSecretBox(Buffer.from(readFileSync(WEBHOOK_SECRETS_KEY_FILE, 'utf8').trim(), 'base64'));
}
const TABLE_NAME = 'keygate';

/** A failure whose message says all a user needs: printed alone, without a stack trace. */
export class LocalRunError extends Error {}

export async function openLocalData(): Promise<{ deps: Deps; dynamoDb: DynamoDbLocal }> {
  mkdirSync(LOCAL_DIR, { recursive: true, mode: 0o700 });
  const dynamoDb = await startDynamoDbLocal({ dataDir: DYNAMODB_DIR });
  try {
    const config = localDynamoClientConfig(dynamoDb.endpoint);
    const admin = new DynamoDBClient(config);
    try {
      await ensureTable(admin, TABLE_NAME);
    } finally {
      admin.destroy();
    }
    const deps: Deps = { ddb: documentClient(config), tableName: TABLE_NAME, clock: systemClock, config: deploymentConfig, webhookSecrets: localWebhookSecrets() };
    return { dynamoDb, deps };
  } catch (error) {
    await dynamoDb.stop();
    throw error;
  }
}

/**
 * Writes the admin key string to `.keygate/admin.key`, readable by its owner only from the
 * first byte: a new file is created with mode 0600, then renamed over any old one.
 */
export function saveAdminKey(key: string): void {
  const temporary = `${ADMIN_KEY_FILE}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${key}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, ADMIN_KEY_FILE);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** How a freshly minted admin key is shown: the one time its string is printed. */
export function showAdminKey(headline: string, admin: IssuedKey): string {
  const { expiresAt } = admin.details;
  const expiry = expiresAt === null ? 'it has no fixed expiry' : `it expires ${expiresAt.slice(0, 10)}`;
  return [
    `${headline} (role ${deploymentConfig.adminRole}; ${expiry}, or once unused for ${deploymentConfig.policy.notAccessedPeriod}).`,
    `It is shown once, saved to ${displayPath(ADMIN_KEY_FILE)} (readable by you only):`,
    '',
    `  ${admin.key}`,
    '',
  ].join('\n');
}

/** A path as the user should type it: relative to where they ran npm, quoted if it must be. */
export function displayPath(path: string): string {
  const shown = relative(process.env.INIT_CWD ?? process.cwd(), path);
  return /^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`;
}

/** Runs a command's main; a known failure prints its one line, anything else its stack. Exit 1. */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const known = error instanceof LocalRunError || error instanceof JavaMissingError || error instanceof DataDirInUseError;
    console.error(known ? (error as Error).message : error);
    process.exit(1);
  });
}
