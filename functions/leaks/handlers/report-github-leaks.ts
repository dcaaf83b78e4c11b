import { json } from '../../http/respond.js';
import { defineRawBodyRoute } from '../../http/raw-body-route.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { receiveGitHubLeakReport } from '../leak-reports.js';
import { reportGitHubLeaksContract } from './report-github-leaks.contract.js';

/** Up to 1,000 matches of a few hundred bytes each; larger bodies are refused before the signature is checked. */
const MAX_REPORT_BYTES = 512 * 1024;

export const route = defineRawBodyRoute(reportGitHubLeaksContract, MAX_REPORT_BYTES, async (request, deps) =>
  json(200, await receiveGitHubLeakReport(deps, request)),
);

export const handler = lambdaHandler(route);
