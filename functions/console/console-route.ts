import type { RouteContract } from '../contract/route-contract.js';
import { errorResponse } from '../http/respond.js';
import type { HandleFn, Route } from '../http/route-handler.js';
import { NotFoundError } from '../shared/errors.js';
import { type ConsoleFile, consoleFile } from './console-files.js';
import { consoleAssetPathSchema } from './schemas.js';

/**
 * GET /console and GET /console/{asset}: public (the files hold nothing secret; the console signs
 * people in itself). A route with a path parameter serves the asset it names (its contract's path
 * schema: a fixed list), the other the page.
 */
export function consoleRoute(contract: RouteContract & { readonly id: 'GetConsole' | 'GetConsoleAsset' }): Route {
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      let name: ConsoleFile = 'index.html';
      if (contract.request?.path !== undefined) {
        const path = consoleAssetPathSchema.safeParse(event.pathParameters ?? {});
        if (!path.success) throw new NotFoundError('no such console file');
        name = path.data.asset;
      }
      const file = await consoleFile(deps, name);
      return { statusCode: 200, headers: file.headers, body: file.body };
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id: contract.id, contract, handle };
}
