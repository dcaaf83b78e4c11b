import { describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { catalogOrder, expandGrants, hasPermission, heldPermissions, missingGrants, normalizeGrants, type Grants } from '../../functions/permissions/grants.js';
import { ValidationError } from '../../functions/shared/errors.js';

const catalog = deploymentConfig.catalog;
const grants = (g: Partial<Grants>): Grants => ({ roles: [], permissions: [], ...g });
const expand = (g: Partial<Grants>) => expandGrants(catalog, normalizeGrants(catalog, grants(g)));

function refusal(g: Partial<Grants>): string {
  try {
    normalizeGrants(catalog, grants(g));
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('grant validation', () => {
  it('resolves aliases, removes duplicates and sorts', () => {
    expect(normalizeGrants(catalog, grants({ permissions: ['rules:write', 'alerts:read', 'alert-rules:write'] }))).toEqual({
      roles: [],
      permissions: ['alert-rules:write', 'alerts:read'],
    });
  });

  it('refuses write on a read-only resource, naming the grant', () => {
    expect(refusal({ permissions: ['audit-log:write'] })).toMatch(/"audit-log:write".*read-only/);
    expect(refusal({ permissions: ['file-events:write'] })).toMatch(/file-events:write/);
  });

  it('refuses anything on a non-grantable resource', () => {
    expect(refusal({ permissions: ['oauth:read'] })).toMatch(/"oauth:read".*never be granted/);
    expect(refusal({ permissions: ['customer:write'] })).toMatch(/customer/);
  });

  it('refuses unknown resources, access levels, roles and malformed permissions', () => {
    expect(refusal({ permissions: ['nukes:read'] })).toMatch(/no resource "nukes"/);
    expect(refusal({ permissions: ['alerts:delete'] })).toMatch(/read or write/);
    expect(refusal({ permissions: ['alerts'] })).toMatch(/resource:access/);
    expect(refusal({ roles: [{ role: 'superuser' }] })).toMatch(/role "superuser"/);
  });

  it('requires a scope on scoped roles, refuses an empty one, and refuses a scope on unscoped roles', () => {
    expect(refusal({ roles: [{ role: 'cloud-account-viewer' }] })).toMatch(/scoped/);
    expect(refusal({ roles: [{ role: 'cloud-account-viewer', scope: [] }] })).toMatch(/non-empty/);
    expect(refusal({ roles: [{ role: 'global-viewer', scope: ['a'] }] })).toMatch(/not scoped/);
  });

  it('merges the same role given twice', () => {
    const normalized = normalizeGrants(catalog, grants({
      roles: [
        { role: 'cloud-account-viewer', scope: ['b'] },
        { role: 'cloud-account-viewer', scope: ['a', 'b'] },
      ],
    }));
    expect(normalized.roles).toEqual([{ role: 'cloud-account-viewer', scope: ['a', 'b'] }]);
  });
});

describe('permission checks', () => {
  it('a scoped role grants its permissions on the listed instances only', () => {
    const holder = expand({ roles: [{ role: 'cloud-account-viewer', scope: ['acct-1', 'acct-2'] }] });
    expect(hasPermission(catalog, holder, 'cloud-accounts:read', 'acct-1')).toBe(true);
    expect(hasPermission(catalog, holder, 'cloud-accounts:read', 'acct-3')).toBe(false);
    expect(hasPermission(catalog, holder, 'cloud-accounts:read')).toBe(false);
    expect(hasPermission(catalog, holder, 'cloud-accounts:write', 'acct-1')).toBe(false);
  });

  it('a role scoped to all grants on every instance', () => {
    const holder = expand({ roles: [{ role: 'cloud-account-viewer', scope: '*' }] });
    expect(hasPermission(catalog, holder, 'cloud-accounts:read', 'anything')).toBe(true);
    expect(hasPermission(catalog, holder, 'cloud-accounts:read')).toBe(true);
  });

  it('global-viewer reads everything grantable and writes nothing; aliases resolve', () => {
    const holder = expand({ roles: [{ role: 'global-viewer' }] });
    expect(hasPermission(catalog, holder, 'rules:read')).toBe(true);
    expect(hasPermission(catalog, holder, 'audit-log:read')).toBe(true);
    expect(hasPermission(catalog, holder, 'alerts:write')).toBe(false);
    expect(hasPermission(catalog, holder, 'oauth:read')).toBe(false);
    expect(holder.admin).toBe(false);
  });

  it('global-admin is admin and holds every grantable permission but no non-grantable one', () => {
    const holder = expand({ roles: [{ role: 'global-admin' }] });
    expect(holder.admin).toBe(true);
    expect(hasPermission(catalog, holder, 'keys:write')).toBe(true);
    expect(hasPermission(catalog, holder, 'customer:write')).toBe(false);
  });
});

describe('escalation', () => {
  const viewer = expand({ roles: [{ role: 'global-viewer' }] });
  const accountViewer = expand({ roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], permissions: ['keys:write'] });

  it('a principal may hand out what it holds', () => {
    expect(missingGrants(catalog, viewer, grants({ permissions: ['alerts:read'] }))).toEqual([]);
    expect(missingGrants(catalog, viewer, grants({ roles: [{ role: 'cloud-account-viewer', scope: '*' }] }))).toEqual([]);
    expect(missingGrants(catalog, accountViewer, grants({ roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }] }))).toEqual([]);
  });

  it('a principal can never grant more than it holds', () => {
    expect(missingGrants(catalog, viewer, grants({ permissions: ['alerts:write', 'alerts:read'] }))).toEqual(['alerts:write']);
    expect(missingGrants(catalog, viewer, grants({ roles: [{ role: 'global-admin' }] }))).toEqual(['role global-admin']);
    expect(missingGrants(catalog, accountViewer, grants({ roles: [{ role: 'cloud-account-viewer', scope: ['acct-1', 'acct-2'] }] }))).toEqual([
      'role cloud-account-viewer on acct-1, acct-2',
    ]);
    expect(missingGrants(catalog, accountViewer, grants({ roles: [{ role: 'cloud-account-viewer', scope: '*' }] }))).toEqual([
      'role cloud-account-viewer on all instances',
    ]);
    expect(missingGrants(catalog, accountViewer, grants({ permissions: ['cloud-accounts:read'] }))).toEqual(['cloud-accounts:read']);
  });
});

describe('catalog order', () => {
  // Every name of up to three characters over letters, digits and "-" at both ends of their ranges, alone and as resource:access.
  const alphabet = ['a', 'z', '0', '9', '-'];
  const names = alphabet.flatMap((a) => [a, ...alphabet.flatMap((b) => [a + b, ...alphabet.map((c) => a + b + c)])]);
  const permissions = names.flatMap((name) => ['r', 'read', 'write'].map((access) => `${name}:${access}`));

  it('orders names and permissions as localeCompare does, without building a collator', () => {
    for (const list of [names, permissions]) {
      const expected = [...list].sort((a, b) => a.localeCompare(b));
      expect([...list].reverse().sort(catalogOrder)).toEqual(expected);
    }
  });

  it('lists held permissions in that order, digits after the colon of a shorter resource name', () => {
    const scopes: [string, '*' | ReadonlySet<string>][] = [['ec2:read', '*'], ['ec:write', '*'], ['ec-2:read', '*'], ['alerts:read', new Set(['b', 'a'])]];
    const held = heldPermissions({ admin: false, permissions: new Map(scopes) });
    expect(Object.keys(held)).toEqual(['alerts:read', 'ec-2:read', 'ec:write', 'ec2:read']);
    expect(held['alerts:read']).toEqual(['a', 'b']);
  });
});
