import { afterEach, describe, expect, it, vi } from 'vitest';
import { getCallerContract } from '../../../functions/console/handlers/get-caller.contract.js';
import { getConsoleContract } from '../../../functions/console/handlers/serve-console-page.contract.js';
import { routePeopleDeps } from '../../../functions/runtime/route-deps.js';

/** What a route function gets of the sign-in from its environment (infra/api.ts connectSignIn sets it). */
afterEach(() => {
  vi.unstubAllEnvs();
});

function environment(vars: Record<string, string | undefined>) {
  for (const name of ['PEOPLE_ISSUER', 'PEOPLE_CLIENT_ID', 'LAMBDA_TASK_ROOT']) vi.stubEnv(name, vars[name]);
}

describe('the sign-in part of a route function’s dependencies', () => {
  it('trusts no issuer when neither variable is set: keys only', () => {
    environment({});
    expect(routePeopleDeps(getCallerContract)).toEqual({});
  });

  it('trusts the issuer and the console client the environment names', () => {
    environment({ PEOPLE_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool', PEOPLE_CLIENT_ID: 'console-client' });
    const { people } = routePeopleDeps(getCallerContract);
    expect(people).toMatchObject({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/pool', clientId: 'console-client' });
  });

  it('refuses one variable without the other, at start-up', () => {
    environment({ PEOPLE_ISSUER: 'https://idp.example.com' });
    expect(() => routePeopleDeps(getCallerContract)).toThrow(/PEOPLE_ISSUER and PEOPLE_CLIENT_ID go together/);
    environment({ PEOPLE_CLIENT_ID: 'console-client' });
    expect(() => routePeopleDeps(getCallerContract)).toThrow(/PEOPLE_ISSUER and PEOPLE_CLIENT_ID go together/);
  });

  it('finds the console files in the bundle for the console routes only', () => {
    environment({ LAMBDA_TASK_ROOT: '/var/task' });
    expect(routePeopleDeps(getConsoleContract).consoleAssets).toBe('/var/task/console');
    expect(routePeopleDeps(getCallerContract).consoleAssets).toBeUndefined();
  });

  it('fails a console route that does not know where its bundle is', () => {
    environment({});
    expect(() => routePeopleDeps(getConsoleContract)).toThrow(/LAMBDA_TASK_ROOT/);
  });
});
