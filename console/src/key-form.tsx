import { useState } from 'preact/hooks';
import { type Api, fieldOfError } from './api.js';
import { type ExpiryChoice, expiryBounds, presetDays, resolveExpiry, toLocalInput } from './expiry.js';
import { type Catalog, grantableResources, type Me, mayGrantPermission, mayGrantRole, roleScopeProblem } from './grants.js';
import type { Channel, ConsoleConfig, KeyDetails } from './types.js';
import { Dialog, FieldError, formatDate, timeZone } from './ui.js';

/**
 * The new-key window (and the edit window): name, description, owner (admins), expiry (presets,
 * custom days, or a date and time in the person's time zone, within the policy's bounds), roles
 * with their scope, per-API read/write from the catalog, and an optional notification.
 */
interface RoleChoice {
  on: boolean;
  all: boolean;
  instances: string;
}

export function KeyForm(props: {
  api: Api;
  me: Me;
  catalog: Catalog;
  config: ConsoleConfig;
  channels: Channel[];
  editing?: KeyDetails;
  onDone: (result: { key?: string; details: KeyDetails }) => void;
  onCancel: () => void;
}) {
  const { me, catalog, config, editing } = props;
  const now = new Date();
  const maxDays = config.policy.maxLifetimeDays;
  const presets = presetDays(config.expiryPresets, maxDays);
  const defaultPreset = presets.includes(config.policy.defaultLifetimeDays) ? config.policy.defaultLifetimeDays : (presets.at(-1) ?? maxDays);
  const bounds = expiryBounds(now, maxDays);

  const [name, setName] = useState(editing?.name ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [owner, setOwner] = useState(editing?.owner ?? '');
  const [expiryKind, setExpiryKind] = useState<'preset' | 'days' | 'date' | 'keep'>(editing ? 'keep' : 'preset');
  const [preset, setPreset] = useState(defaultPreset);
  const [days, setDays] = useState('');
  const [date, setDate] = useState(toLocalInput(new Date(now.getTime() + 30 * 86_400_000)));
  const [roles, setRoles] = useState<Record<string, RoleChoice>>(() =>
    Object.fromEntries(
      catalog.roles.map((r) => {
        const held = editing?.roles.find((g) => g.role === r.name);
        return [r.name, { on: held !== undefined, all: held?.scope === '*' || held?.scope === undefined, instances: Array.isArray(held?.scope) ? held.scope.join(', ') : '' }];
      }),
    ),
  );
  const [permissions, setPermissions] = useState<Set<string>>(new Set(editing?.permissions ?? []));
  const current = editing?.notification ?? null;
  const [notify, setNotify] = useState(current !== null && current.status !== 'canceled');
  const [notifyAt, setNotifyAt] = useState(current && !current.at.startsWith('P') ? toLocalInput(new Date(current.at)) : '');
  const [channelId, setChannelId] = useState(current?.channelId ?? props.channels[0]?.id ?? '');
  // When editing, the notification is sent only if it was changed here.
  const [notificationTouched, setNotificationTouched] = useState(!editing);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const togglePermission = (p: string, on: boolean) => {
    const next = new Set(permissions);
    if (on) next.add(p);
    else next.delete(p);
    setPermissions(next);
  };

  function expiryChoice(): ExpiryChoice | undefined {
    if (expiryKind === 'keep') return undefined;
    if (expiryKind === 'preset') return { kind: 'preset', days: preset };
    if (expiryKind === 'days') return { kind: 'days', days: Number(days) };
    return { kind: 'date', local: date };
  }

  async function submit(event: Event) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (name.trim() === '') found.name = 'Give the key a name.';
    const choice = expiryChoice();
    const expiry = choice === undefined ? undefined : resolveExpiry(choice, new Date(), maxDays, formatDate);
    if (expiry && !expiry.ok) found.expiry = expiry.message;
    const roleGrants: { role: string; scope?: '*' | string[] }[] = [];
    for (const role of catalog.roles) {
      const choiceOf = roles[role.name];
      if (!choiceOf?.on) continue;
      if (!role.scoped) {
        roleGrants.push({ role: role.name });
        continue;
      }
      const instances = choiceOf.instances.split(/[\s,]+/).filter((s) => s !== '');
      if (!choiceOf.all && instances.length === 0) found.grants = `${role.name}: list at least one of its ${role.scopeDescription ?? 'instances'}, or choose all.`;
      const scope = choiceOf.all ? '*' : instances;
      const problem = instances.length === 0 && !choiceOf.all ? undefined : roleScopeProblem(me, role.name, scope);
      if (problem) found.grants = problem;
      roleGrants.push({ role: role.name, scope });
    }
    if (roleGrants.length === 0 && permissions.size === 0) found.grants = 'Choose at least one role or permission.';
    let notification: { at: string; channelId: string } | null | undefined;
    if (!notificationTouched) {
      notification = undefined;
    } else if (notify) {
      if (!channelId) found.notification = 'Choose a channel (create one on the Channels page).';
      const at = new Date(notifyAt);
      if (Number.isNaN(at.getTime())) found.notification ??= 'Pick the date and time of the notification.';
      else notification = { at: at.toISOString(), channelId };
    } else if (editing && current && current.status !== 'canceled') {
      notification = null;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const body: Record<string, unknown> = {
      name: name.trim(),
      description,
      roles: roleGrants,
      permissions: [...permissions].sort(),
      ...(expiry?.ok ? expiry.body : {}),
      ...(notification === undefined ? {} : { notification }),
    };
    if (!editing && me.admin && owner.trim() !== '') body.owner = owner.trim();
    setBusy(true);
    try {
      const result = editing
        ? { details: await props.api<KeyDetails>('PATCH', `/v1/keys/${editing.id}`, body) }
        : await props.api<KeyDetails & { key: string }>('POST', '/v1/keys', body).then((r) => ({ key: r.key, details: r }));
      props.onDone(result);
    } catch (error) {
      setErrors({ [fieldOfError(error)]: (error as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const described = (field: string) => (errors[field] ? `${field}-error` : undefined);

  return (
    <Dialog title={editing ? `Edit key ${editing.name}` : 'New key'} onClose={props.onCancel} wide testId="key-form">
      <form onSubmit={submit} noValidate>
        <FieldError id="form-error" message={errors.form} />
        <label for="key-name">Name</label>
        <input id="key-name" value={name} maxLength={64} required aria-invalid={errors.name ? true : undefined} aria-describedby={described('name')} onInput={(e) => setName(e.currentTarget.value)} />
        <FieldError id="name-error" message={errors.name} />

        <label for="key-description">Description</label>
        <textarea id="key-description" value={description} maxLength={512} rows={2} onInput={(e) => setDescription(e.currentTarget.value)} />

        {me.admin && !editing && (
          <>
            <label for="key-owner">Owner</label>
            <input id="key-owner" value={owner} placeholder={`${me.owner} (you)`} aria-describedby={described('owner') ?? 'owner-hint'} onInput={(e) => setOwner(e.currentTarget.value)} />
            <p class="hint" id="owner-hint">
              The user or integration the key belongs to. Empty: you.
            </p>
            <FieldError id="owner-error" message={errors.owner} />
          </>
        )}

        <fieldset aria-describedby={described('expiry') ?? 'expiry-hint'}>
          <legend>Expires</legend>
          <p class="hint" id="expiry-hint">
            Between {formatDate(bounds.min.toISOString())} and {formatDate(bounds.max.toISOString())} (now + 1 minute … now + the maximum lifetime, {config.policy.maxLifetime}). Times are in your time zone, {timeZone}. It can be shortened later, never extended.
          </p>
          {editing && (
            <label class="inline">
              <input type="radio" name="expiry" checked={expiryKind === 'keep'} onChange={() => setExpiryKind('keep')} /> Keep {formatDate(editing.expiresAt)}
            </label>
          )}
          <label class="inline">
            <input type="radio" name="expiry" checked={expiryKind === 'preset'} onChange={() => setExpiryKind('preset')} /> In
          </label>
          <select aria-label="Expiry period" value={preset} disabled={expiryKind !== 'preset'} onChange={(e) => setPreset(Number(e.currentTarget.value))}>
            {presets.map((d) => (
              <option value={d}>
                {d} days{d === defaultPreset ? ' (six months, the default)' : ''}
              </option>
            ))}
          </select>
          <label class="inline">
            <input type="radio" name="expiry" checked={expiryKind === 'days'} onChange={() => setExpiryKind('days')} /> Custom: in
          </label>
          <input type="number" class="short" aria-label="Custom number of days" min={1} max={maxDays} value={days} disabled={expiryKind !== 'days'} onInput={(e) => setDays(e.currentTarget.value)} /> days
          <label class="inline">
            <input type="radio" name="expiry" checked={expiryKind === 'date'} onChange={() => setExpiryKind('date')} /> On
          </label>
          <input
            type="datetime-local"
            aria-label={`Expiry date and time (${timeZone})`}
            min={toLocalInput(bounds.min)}
            max={toLocalInput(bounds.max)}
            value={date}
            disabled={expiryKind !== 'date'}
            onInput={(e) => setDate(e.currentTarget.value)}
          />
          <FieldError id="expiry-error" message={errors.expiry} />
        </fieldset>

        <fieldset aria-describedby={described('grants') ?? 'grants-hint'}>
          <legend>Roles and permissions</legend>
          <p class="hint" id="grants-hint">
            At least one. You can grant only what you hold yourself.
          </p>
          {catalog.roles.map((role) => {
            const choice = roles[role.name] ?? { on: false, all: true, instances: '' };
            const allowed = mayGrantRole(me, role);
            const set = (patch: Partial<RoleChoice>) => setRoles({ ...roles, [role.name]: { ...choice, ...patch } });
            return (
              <div class="role">
                <label class="inline">
                  <input type="checkbox" checked={choice.on} disabled={!allowed} onChange={(e) => set({ on: e.currentTarget.checked })} /> Role {role.name}
                </label>
                <span class="hint"> {role.description}{allowed ? '' : ' (you do not hold it)'}</span>
                {role.scoped && choice.on && (
                  <div class="scope">
                    <label class="inline">
                      <input type="radio" name={`scope-${role.name}`} checked={choice.all} onChange={() => set({ all: true })} /> All {role.scopeDescription ?? 'instances'}
                    </label>
                    <label class="inline">
                      <input type="radio" name={`scope-${role.name}`} checked={!choice.all} onChange={() => set({ all: false })} /> Only these:
                    </label>
                    <input aria-label={`${role.name}: ${role.scopeDescription ?? 'instances'}, separated by commas`} value={choice.instances} disabled={choice.all} onInput={(e) => set({ instances: e.currentTarget.value })} />
                  </div>
                )}
              </div>
            );
          })}
          <table class="grants">
            <caption>API permissions</caption>
            <thead>
              <tr>
                <th scope="col">API</th>
                <th scope="col">Read</th>
                <th scope="col">Write</th>
              </tr>
            </thead>
            <tbody>
              {grantableResources(catalog).map((resource) => (
                <tr>
                  <th scope="row" title={resource.description}>
                    {resource.name}
                  </th>
                  {(['read', 'write'] as const).map((access) => {
                    const permission = `${resource.name}:${access}`;
                    if (!resource.access.includes(access)) return <td class="hint">{access === 'write' ? 'read-only' : '—'}</td>;
                    const allowed = mayGrantPermission(me, permission);
                    return (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`${resource.name} ${access}${allowed ? '' : ' (you do not hold it)'}`}
                          checked={permissions.has(permission)}
                          disabled={!allowed}
                          onChange={(e) => togglePermission(permission, e.currentTarget.checked)}
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <FieldError id="grants-error" message={errors.grants} />
        </fieldset>

        <fieldset aria-describedby={described('notification')}>
          <legend>Notification</legend>
          <label class="inline">
            <input
              type="checkbox"
              checked={notify}
              onChange={(e) => {
                setNotify(e.currentTarget.checked);
                setNotificationTouched(true);
                // A week before the chosen expiry (or tomorrow, for a shorter key) unless a time is set.
                const choice = expiryChoice();
                const resolved = choice === undefined ? undefined : resolveExpiry(choice, new Date(), maxDays, formatDate);
                const expiresAt = resolved?.ok ? resolved.at : editing?.expiresAt ? new Date(editing.expiresAt) : undefined;
                if (notifyAt === '' && expiresAt) {
                  const weekBefore = expiresAt.getTime() - 7 * 86_400_000;
                  setNotifyAt(toLocalInput(new Date(Math.max(weekBefore, Date.now() + 86_400_000))));
                }
              }}
            />{' '}
            Notify before the key expires
          </label>
          {notify && (
            <div>
              <label for="notify-at">Time ({timeZone})</label>
              <input
                id="notify-at"
                type="datetime-local"
                value={notifyAt}
                onInput={(e) => {
                  setNotifyAt(e.currentTarget.value);
                  setNotificationTouched(true);
                }}
              />
              <label for="notify-channel">Channel</label>
              <select
                id="notify-channel"
                value={channelId}
                onChange={(e) => {
                  setChannelId(e.currentTarget.value);
                  setNotificationTouched(true);
                }}
              >
                {props.channels.length === 0 && <option value="">No channel yet: create one on the Channels page</option>}
                {props.channels.map((c) => (
                  <option value={c.id}>
                    {c.name} ({c.type})
                  </option>
                ))}
              </select>
            </div>
          )}
          <FieldError id="notification-error" message={errors.notification} />
        </fieldset>

        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {editing ? 'Save' : 'Create key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
