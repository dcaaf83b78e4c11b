/**
 * The one route table: every route's contract (functions/contract/route-contract.ts), each in its
 * own file next to its handler. The CDK stack makes an HTTP API route, a Lambda function and its
 * grants of each entry (infra/api.ts, infra/signing-keys.ts); the local gateway serves the same
 * entries with the same handler modules (dev/gateway.ts); the OpenAPI document is generated from
 * them (functions/openapi/document.ts); test/integration/security-matrix.test.ts tests each one.
 * A new route: its contract, its handler, and one line here (README, "Adding a route").
 *
 * Handlers never import this table (it would bundle every route's schemas into each): a handler
 * imports its own contract.
 */
import { listAuditEntriesContract } from './audit/handlers/list-audit-entries.contract.js';
import { getCatalogContract } from './catalog/get-catalog.contract.js';
import { acknowledgeOperatorMessageContract } from './channels/handlers/acknowledge-operator-message.contract.js';
import { createChannelContract } from './channels/handlers/create-channel.contract.js';
import { deleteChannelContract } from './channels/handlers/delete-channel.contract.js';
import { getChannelContract } from './channels/handlers/get-channel.contract.js';
import { listChannelsContract } from './channels/handlers/list-channels.contract.js';
import { setDefaultChannelContract } from './channels/handlers/set-default-channel.contract.js';
import { unsetDefaultChannelContract } from './channels/handlers/unset-default-channel.contract.js';
import { listOperatorMessagesContract } from './channels/handlers/list-operator-messages.contract.js';
import { getCallerContract } from './console/handlers/get-caller.contract.js';
import { getConsoleAssetContract } from './console/handlers/serve-console-asset.contract.js';
import { getConsoleContract } from './console/handlers/serve-console-page.contract.js';
import { createKeyContract } from './keys/handlers/create-key.contract.js';
import { deleteKeyContract } from './keys/handlers/delete-key.contract.js';
import { getKeyContract } from './keys/handlers/get-key.contract.js';
import { getPolicyContract } from './keys/handlers/get-policy.contract.js';
import { listKeysContract } from './keys/handlers/list-keys.contract.js';
import { resetKeySecretContract } from './keys/handlers/reset-key-secret.contract.js';
import { resumeKeyContract } from './keys/handlers/resume-key.contract.js';
import { revokeOwnerKeysContract } from './keys/handlers/revoke-owner-keys.contract.js';
import { rotateKeyContract } from './keys/handlers/rotate-key.contract.js';
import { suspendKeyContract } from './keys/handlers/suspend-key.contract.js';
import { suspendOwnerKeysContract } from './keys/handlers/suspend-owner-keys.contract.js';
import { updateKeyContract } from './keys/handlers/update-key.contract.js';
import { verifyKeyContract } from './keys/handlers/verify-key.contract.js';
import { getKeyUsageContract } from './usage/handlers/get-key-usage.contract.js';
import { reportGitHubLeaksContract } from './leaks/handlers/report-github-leaks.contract.js';
import { getOpenApiContract } from './openapi/handlers/get-openapi.contract.js';
import { getAuthorizationServerMetadataContract } from './tokens/handlers/get-authorization-server-metadata.contract.js';
import { getJwksContract } from './tokens/handlers/get-jwks.contract.js';
import { getKeyJwksContract } from './tokens/handlers/get-key-jwks.contract.js';
import { getOpenIdConfigurationContract } from './tokens/handlers/get-openid-configuration.contract.js';
import { introspectTokenContract } from './tokens/handlers/introspect-token.contract.js';
import { issueTokenContract } from './tokens/handlers/issue-token.contract.js';

export { type RouteContract, type RouteDefinition, tokenAccess } from './contract/route-contract.js';

export const routes = [
  createKeyContract,
  listKeysContract,
  getKeyContract,
  getKeyUsageContract,
  updateKeyContract,
  resetKeySecretContract,
  deleteKeyContract,
  rotateKeyContract,
  suspendKeyContract,
  resumeKeyContract,
  suspendOwnerKeysContract,
  revokeOwnerKeysContract,
  getCatalogContract,
  getPolicyContract,
  issueTokenContract,
  introspectTokenContract,
  getJwksContract,
  getKeyJwksContract,
  getAuthorizationServerMetadataContract,
  getOpenIdConfigurationContract,
  verifyKeyContract,
  createChannelContract,
  listChannelsContract,
  getChannelContract,
  deleteChannelContract,
  setDefaultChannelContract,
  unsetDefaultChannelContract,
  listOperatorMessagesContract,
  acknowledgeOperatorMessageContract,
  listAuditEntriesContract,
  reportGitHubLeaksContract,
  getCallerContract,
  getConsoleContract,
  getConsoleAssetContract,
  getOpenApiContract,
] as const;

export type RouteId = (typeof routes)[number]['id'];
