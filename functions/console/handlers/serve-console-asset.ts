import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { consoleRoute } from '../console-route.js';
import { getConsoleAssetContract } from './serve-console-asset.contract.js';

export const route = consoleRoute(getConsoleAssetContract);

export const handler = tablelessLambdaHandler(route);
