import { describe, expect, it } from 'vitest';
import { validateDeploymentConfig } from '../../functions/deployment-config-validation.js';
import { deploymentConfig, deploymentSettings } from '../../functions/deployment-config.js';

describe('the deployment configuration', () => {
  it('is the settings validated, with the catalog defaults filled in', () => {
    expect(validateDeploymentConfig(deploymentSettings)).toEqual(deploymentConfig);
    expect(deploymentConfig.catalog.resources.alerts).toMatchObject({ aliases: [], grantable: true });
    expect(deploymentConfig.catalog.roles['global-admin']).toMatchObject({ scoped: false, admin: true });
  });

  it('survives JSON unchanged, as the synth compiles it into every function bundle', () => {
    expect(JSON.parse(JSON.stringify(deploymentConfig))).toStrictEqual(deploymentConfig);
  });

  it('refuses a bad setting with the name of the field, as cdk synth then does', () => {
    const withPolicy = (change: Partial<typeof deploymentSettings.policy>) => ({ ...deploymentSettings, policy: { ...deploymentSettings.policy, ...change } });
    expect(() => validateDeploymentConfig(withPolicy({ maxLifetime: 'six months' }))).toThrow(/maxLifetime/);
    expect(() => validateDeploymentConfig({ ...deploymentSettings, keyPrefix: 'KG_' })).toThrow(/keyPrefix/);
    expect(() => validateDeploymentConfig({ ...deploymentSettings, leaks: { ...deploymentSettings.leaks, githubKeysUrl: 'http://example.com/keys' } })).toThrow(
      /leaks.githubKeysUrl must be https/,
    );
    const catalog = { ...deploymentSettings.catalog, resources: { ...deploymentSettings.catalog.resources, Bad_Name: { description: '', access: ['read' as const] } } };
    expect(() => validateDeploymentConfig({ ...deploymentSettings, catalog })).toThrow(/resource names are lower-case/);
    expect(() => validateDeploymentConfig({ ...deploymentSettings, surprise: true } as typeof deploymentSettings)).toThrow(/surprise/);
    const withUsage = (change: Partial<typeof deploymentSettings.usage>) => ({
      ...deploymentSettings,
      usage: { ...deploymentSettings.usage, ...change },
    });
    expect(() => validateDeploymentConfig(withUsage({ flushIntervalSeconds: 0 }))).toThrow(/flushIntervalSeconds/);
    expect(() => validateDeploymentConfig(withUsage({ flushIntervalSeconds: 2.5 }))).toThrow(/flushIntervalSeconds/);
    const tooSmall = withUsage({ flushAtEntries: 100, maxBufferedEntries: 50 });
    expect(() => validateDeploymentConfig(tooSmall)).toThrow(/maxBufferedEntries must be at least usage.flushAtEntries/);
  });
});
