import { defineContract } from '../../contract/route-contract.js';
import { consoleAssetPathSchema } from '../schemas.js';

export const getConsoleAssetContract = defineContract({
  id: 'GetConsoleAsset',
  method: 'GET',
  path: '/console/{asset}',
  entry: 'functions/console/handlers/serve-console-asset.ts',
  permission: 'public',
  tableAccess: [],
  assets: 'console',
  summary: "The web console's script, style sheet and settings (issuer, client id, expiry policy)",
  request: { path: consoleAssetPathSchema },
  // JavaScript, CSS, or JSON (config.json holds the sign-in settings): described, not schema'd.
  responses: { 200: { description: "The console's script, style sheet, or settings (config.json: issuer, client id, expiry policy)" } },
  errors: [404],
});
