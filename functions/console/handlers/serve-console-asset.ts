import { lambdaHandler } from '../../runtime/lambda.js';
import { consoleRoute } from '../console-route.js';
import { getConsoleAssetContract } from './serve-console-asset.contract.js';

export const route = consoleRoute(getConsoleAssetContract);

export const handler = lambdaHandler(route);
