import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errorResponse } from '../http/respond.js';
import type { Route } from '../http/route-handler.js';
import { NotFoundError } from '../shared/errors.js';
import { consoleFile } from './console-files.js';
import { consoleAssetPathSchema } from './schemas.js';

/** GET /console and GET /console/{asset}: public (the files hold nothing secret; the console signs people in itself). */
export function consoleRoute(id: 'GetConsole' | 'GetConsoleAsset'): Route {
  return {
    id,
    schemas: id === 'GetConsoleAsset' ? { path: consoleAssetPathSchema } : {},
    async handle(event: APIGatewayProxyEventV2, deps) {
      const requestId = event.requestContext?.requestId ?? 'unknown';
      try {
        let name: Parameters<typeof consoleFile>[1] = 'index.html';
        if (id === 'GetConsoleAsset') {
          const path = consoleAssetPathSchema.safeParse(event.pathParameters ?? {});
          if (!path.success) throw new NotFoundError('no such console file');
          name = path.data.asset;
        }
        const file = await consoleFile(deps, name);
        return { statusCode: 200, headers: file.headers, body: file.body };
      } catch (error) {
        return errorResponse(error, requestId);
      }
    },
  };
}
