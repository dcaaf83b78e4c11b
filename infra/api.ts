import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type HttpStage, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { deploymentConfig } from '../functions/deployment-config.js';
import { type RouteDefinition, routes } from '../functions/routes.js';
import { buildConsoleSync } from '../console/build.js';
import { openApiDocument } from '../functions/openapi/document.js';
import { getOpenApiContract } from '../functions/openapi/handlers/get-openapi.contract.js';
import { packOpenApiDocument } from '../functions/openapi/packed-document.js';
import { throttleClassOf, type Throttles } from '../functions/contract/throttles.js';
import { BUNDLE_BANNER, bundleAliasPaths, ESBUILD_TARGET } from './bundling.js';
import { loggedHttpApi, throttleRoutes } from './http-api.js';
import { grantTableAccess } from './table-grants.js';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** The newest Node.js runtime Lambda offers; the esbuild target (infra/bundling.ts) follows it. */
const RUNTIME = Runtime.NODEJS_24_X;

export interface KeygateFunctionProps {
  /** Handler module relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Plain configuration only (names, ARNs): never a secret. */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly timeout?: Duration;
  /**
   * Constants compiled into the bundle (esbuild `define`: identifier → JSON text), for
   * configuration too large for the environment (Lambda allows 4 KB of variables in all).
   */
  readonly define?: Record<string, string>;
  /** Built files the bundle carries next to the code: `console` builds console/ and copies console/dist. */
  readonly assets?: RouteDefinition['assets'];
}

/**
 * Every keygate function is built here, so no two functions drift apart. Each gets its own
 * role and log group: the role may write to that log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which may create and write any log group in the account).
 */
export function keygateFunction(scope: Construct, id: string, props: KeygateFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention,
    // Logs are stateless output; the audit trail lives in the table, which is retained.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `keygate ${id}: writes its own log group, plus the grants given next to its definition`,
  });
  logGroup.grantWrite(role);
  return new NodejsFunction(scope, id, {
    entry: path.join(projectRoot, props.entry),
    handler: 'handler',
    projectRoot,
    depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
    description: props.description.slice(0, 256),
    runtime: RUNTIME,
    architecture: Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout ?? Duration.seconds(10),
    role,
    logGroup,
    // No --enable-source-maps: it costs 8–15 ms of every cold start (npm run bench); the maps ship
    // beside the code for reading a stack trace after the fact.
    environment: { ...props.environment },
    bundling: {
      format: OutputFormat.ESM,
      target: ESBUILD_TARGET,
      mainFields: ['module', 'main'],
      banner: BUNDLE_BANNER,
      minify: true,
      sourceMap: true,
      // Maps name files and lines; leaving the sources out keeps each map a fraction of the size.
      sourcesContent: false,
      // The deployment configuration, validated here at synth (functions/deployment-config.ts), goes
      // into every bundle as JSON: a function neither loads its schemas nor parses it again.
      define: { __KEYGATE_DEPLOYMENT_CONFIG__: JSON.stringify(JSON.stringify(deploymentConfig)), ...props.define },
      // The AWS SDK goes in the bundle, minified (AWS's advice for Lambda): a cold start imports
      // less than the runtime's whole copy, and the version is the one tested.
      externalModules: [],
      esbuildArgs: { '--alias': Object.entries(bundleAliasPaths(projectRoot)).map(([name, file]) => `${name}=${file}`) },
      ...(props.assets === 'console'
        ? {
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              // The console's files go in the bundle, at <task root>/console (functions/runtime/route-deps.ts).
              afterBundling: (inputDir: string, outputDir: string) => [
                `mkdir -p "${outputDir}/console" && cp "${inputDir}/console/dist/index.html" "${inputDir}/console/dist/app.js" "${inputDir}/console/dist/app.css" "${outputDir}/console/"`,
              ],
            },
          }
        : {}),
    },
  });
}

export interface KeygateApiProps {
  readonly table: ITable;
  /** Per route class (functions/contract/throttles.ts); management is also the stage default. */
  readonly throttles: Throttles;
  readonly logRetention: RetentionDays;
}

/** The stateless part: one function per route of functions/routes.ts behind one HTTP API. */
export class KeygateApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The stage's JSON access logs (monitoring counts 429 and 5xx answers from them). */
  readonly accessLogs: LogGroup;
  readonly functions: ReadonlyMap<string, NodejsFunction>;

  constructor(scope: Construct, id: string, props: KeygateApiProps) {
    super(scope, id);

    ({ httpApi: this.httpApi, stage: this.stage, accessLogs: this.accessLogs } = loggedHttpApi(this, {
      description: 'keygate: API keys and client credentials',
      throttle: props.throttles.management,
      logRetention: props.logRetention,
      // Never a header: the Authorization header carries the caller's key.
      accessLogFields: {
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTime',
        httpMethod: '$context.httpMethod',
        routeKey: '$context.routeKey',
        path: '$context.path',
        status: '$context.status',
        protocol: '$context.protocol',
        responseLength: '$context.responseLength',
        responseLatency: '$context.responseLatency',
        integrationLatency: '$context.integrationLatency',
        integrationError: '$context.integrationErrorMessage',
        userAgent: '$context.identity.userAgent',
      },
    }));

    // The console's files, built once here from console/src (a fraction of a second): the bundles
    // of its routes copy them (keygateFunction's `assets`).
    if ((routes as readonly RouteDefinition[]).some((route) => route.assets === 'console')) buildConsoleSync();

    const functions = new Map<string, NodejsFunction>();
    const throttled: Parameters<typeof throttleRoutes>[1][number][] = [];
    for (const route of routes as readonly RouteDefinition[]) {
      const fn = keygateFunction(this, route.id, {
        entry: route.entry,
        description: `keygate ${route.method} ${route.path}: ${route.summary}`,
        environment: { TABLE_NAME: props.table.tableName },
        logRetention: props.logRetention,
        assets: route.assets,
        // The OpenAPI document, built here rather than on the function's first request (functions/openapi/packed-document.ts).
        ...(route.id === getOpenApiContract.id ? { define: { __KEYGATE_OPENAPI_DOCUMENT__: JSON.stringify(packOpenApiDocument(openApiDocument())) } } : {}),
      });
      grantTableAccess(fn, props.table, route.tableAccess);
      const httpRoute = new HttpRoute(this, `${route.id}Route`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.permission === 'public'
            ? `${route.method} ${route.path} is public by design: it takes no credential.`
            : `${route.method} ${route.path} is authorized in its handler: it authenticates keygate's own bearer key and checks the route's permission (${route.permission}) before any work, with the same code as the keygate Lambda authorizer (functions/access). An authorizer in front would add a second invocation per request, and its decision cache would let a deleted admin key keep managing keys for the cache time.`,
      });
      functions.set(route.id, fn);
      throttled.push({ route: httpRoute, routeKey: `${route.method} ${route.path}`, throttle: props.throttles[throttleClassOf(route)] });
    }
    throttleRoutes(this.stage, throttled);
    this.functions = functions;
  }

  /**
   * Where people sign in: every function that authenticates a caller trusts the issuer's ID tokens
   * for the console's client, and the console's own functions hand both to the browser.
   */
  connectSignIn(issuer: string, clientId: string): void {
    for (const route of routes as readonly RouteDefinition[]) {
      if (route.permission === 'public' && route.assets !== 'console') continue;
      const fn = this.functions.get(route.id);
      fn?.addEnvironment('PEOPLE_ISSUER', issuer);
      fn?.addEnvironment('PEOPLE_CLIENT_ID', clientId);
    }
  }
}
