import { defineContract } from '../../contract/route-contract.js';

export const getConsoleContract = defineContract({
  id: 'GetConsole',
  method: 'GET',
  path: '/console',
  entry: 'functions/console/handlers/serve-console-page.ts',
  // The page and its assets hold nothing secret; the console signs people in itself (OIDC).
  permission: 'public',
  tableAccess: [],
  assets: 'console',
  summary: 'The web console (sign-in with OpenID Connect)',
  // Not JSON (HTML): described, not schema'd. 404: this keygate serves no console, or it is not built.
  responses: { 200: { description: 'The console page (HTML)' } },
  errors: [404],
});
