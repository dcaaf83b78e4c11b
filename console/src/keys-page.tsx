import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { DeleteDialog, ResetDialog, RotateDialog, SuspendDialog } from './dialogs.js';
import { expiryDetails } from './expiry.js';
import type { Catalog, Me } from './grants.js';
import { KeyForm } from './key-form.js';
import type { Channel, ConsoleConfig, KeyDetails, KeyNotification, Page, Secret } from './types.js';
import { FieldError, formatDate, Pager } from './ui.js';

const STATUSES = ['active', 'suspended', 'expired', 'expired_inactive', 'revoked'] as const;
const PAGE_SIZE = 20;

type Open =
  | { kind: 'new' }
  | { kind: 'edit' | 'reset' | 'rotate' | 'suspend' | 'resume' | 'delete'; key: KeyDetails }
  | undefined;

function grantsText(key: KeyDetails): string[] {
  return [
    ...key.roles.map((r) => (r.scope === undefined ? r.role : `${r.role} (${r.scope === '*' ? 'all' : r.scope.join(', ')})`)),
    ...key.permissions,
  ];
}

function notificationText(key: KeyDetails, channels: Channel[]): string {
  const via = (n: KeyNotification) => channels.find((c) => c.id === n.channelId)?.name ?? n.channelId;
  const parts: string[] = [];
  const n = key.notification;
  if (n) parts.push(`${n.at.startsWith('P') ? `${n.at} before expiry` : formatDate(n.at)} via ${via(n)} (${n.status})`);
  const defaults = key.defaultNotifications ?? [];
  if (!n && defaults.length > 0) {
    const pending = defaults.filter((d) => d.status === 'scheduled').length;
    parts.push(`${defaults.length} default reminder${defaults.length === 1 ? '' : 's'} via ${[...new Set(defaults.map(via))].join(', ')} (${pending} scheduled)`);
  }
  for (const alert of key.leakAlerts ?? []) parts.push(`Leak alert via ${via(alert)} (${alert.status})`);
  return parts.length === 0 ? 'None' : parts.join('; ');
}

/** The Keys page: the table, newest first, with filters, search, pagination and the key actions. */
export function KeysPage(props: { api: Api; me: Me; catalog: Catalog; config: ConsoleConfig; channels: Channel[]; showSecret: (s: Secret) => void }) {
  const { api, me } = props;
  const [owner, setOwner] = useState('');
  const [status, setStatus] = useState('');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<KeyDetails> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<Open>();
  const [reload, setReload] = useState(0);

  const cursor = cursors.at(-1);
  useEffect(() => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (me.admin && owner.trim()) query.set('owner', owner.trim());
    if (status) query.set('status', status);
    if (cursor) query.set('cursor', cursor);
    let live = true;
    api<Page<KeyDetails>>('GET', `/v1/keys?${query}`)
      .then((result) => {
        if (!live) return;
        setPage(result);
        setError(undefined);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [owner, status, cursor, reload]);

  useEffect(() => {
    if (page && !performance.getEntriesByName('keys-rendered').length) performance.mark('keys-rendered');
  }, [page]);

  const refresh = () => setReload(reload + 1);
  const filtersChanged = () => setCursors([]);
  const shown = (page?.items ?? []).filter((k) => k.name.toLowerCase().includes(search.trim().toLowerCase()));
  const endpoints = { tokenEndpoint: `${location.origin}/oauth/token`, baseUrl: location.origin };

  return (
    <section aria-labelledby="keys-title">
      <div class="title-row">
        <h1 id="keys-title">Keys</h1>
        <button type="button" class="primary" onClick={() => setOpen({ kind: 'new' })}>
          New key
        </button>
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="search">Search by name</label>
          <input id="search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        {me.admin && (
          <div>
            <label for="owner-filter">Owner</label>
            <input
              id="owner-filter"
              value={owner}
              placeholder="every owner"
              onChange={(e) => {
                setOwner(e.currentTarget.value);
                filtersChanged();
              }}
            />
          </div>
        )}
        <div>
          <label for="status-filter">Status</label>
          <select
            id="status-filter"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value);
              filtersChanged();
            }}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s.replace('_', ' ')}</option>
            ))}
          </select>
        </div>
      </form>
      <FieldError id="keys-error" message={error} />
      <div class="table-wrap">
        <table class="keys" aria-describedby="last-used-note" data-testid="keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              {me.admin && <th scope="col">Owner</th>}
              <th scope="col">Roles and permissions</th>
              <th scope="col">Created</th>
              <th scope="col">Last used*</th>
              <th scope="col">Expires</th>
              <th scope="col">Details</th>
              <th scope="col">Notification</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page && shown.length === 0 && (
              <tr>
                <td colSpan={me.admin ? 10 : 9}>No keys{search ? ' match this name' : ''}.</td>
              </tr>
            )}
            {shown.map((key) => (
              <tr data-key-id={key.id} class={key.status === 'active' ? undefined : 'inactive'}>
                <th scope="row">{key.name}</th>
                <td>{key.description}</td>
                {me.admin && <td>{key.owner}</td>}
                <td>
                  <ul class="grant-list">
                    {grantsText(key).map((g) => (
                      <li>{g}</li>
                    ))}
                  </ul>
                </td>
                <td>{formatDate(key.createdAt)}</td>
                <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'Never'}</td>
                <td>{key.expiresAt ? formatDate(key.expiresAt) : 'No fixed expiry'}</td>
                <td>
                  {expiryDetails(key, formatDate)}
                  {key.status === 'suspended' && key.suspendedReason ? ` Reason: ${key.suspendedReason}` : ''}
                  {key.successorId ? ` Rotated: its successor is ${key.successorId}.` : ''}
                </td>
                <td>{notificationText(key, props.channels)}</td>
                <td class="row-actions">
                  {key.status === 'active' && (
                    <>
                      <button type="button" onClick={() => setOpen({ kind: 'edit', key })} aria-label={`Edit ${key.name}`}>
                        Edit
                      </button>
                      <button type="button" onClick={() => setOpen({ kind: 'reset', key })} aria-label={`Reset the secret of ${key.name}`}>
                        Reset secret
                      </button>
                      {!key.successorId && (
                        <button type="button" onClick={() => setOpen({ kind: 'rotate', key })} aria-label={`Rotate ${key.name}`}>
                          Rotate
                        </button>
                      )}
                      <button type="button" onClick={() => setOpen({ kind: 'suspend', key })} aria-label={`Suspend ${key.name}`}>
                        Suspend
                      </button>
                    </>
                  )}
                  {key.status === 'suspended' && (
                    <button type="button" onClick={() => setOpen({ kind: 'resume', key })} aria-label={`Resume ${key.name}`}>
                      Resume
                    </button>
                  )}
                  {key.status !== 'revoked' && (
                    <button type="button" class="danger" onClick={() => setOpen({ kind: 'delete', key })} aria-label={`Delete ${key.name}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="hint" id="last-used-note">
        * Last used is updated at most once a minute, however often the key is used in that minute. Keys not used for {props.config.policy.notAccessedPeriod} expire. Search
        filters the page shown.
      </p>
      <Pager
        label="Keys"
        hasPrevious={cursors.length > 0}
        next={page?.nextCursor ?? undefined}
        onFirst={() => setCursors([])}
        onNext={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}
      />

      {(open?.kind === 'new' || open?.kind === 'edit') && (
        <KeyForm
          api={api}
          me={me}
          catalog={props.catalog}
          config={props.config}
          channels={props.channels}
          {...(open.kind === 'edit' ? { editing: open.key } : {})}
          onCancel={() => setOpen(undefined)}
          onDone={({ key, details }) => {
            setOpen(undefined);
            refresh();
            if (key) props.showSecret({ title: 'Your new key', id: details.id, idLabel: 'Key id', secret: key, secretLabel: 'Secret', endpoints });
          }}
        />
      )}
      {open?.kind === 'reset' && (
        <ResetDialog
          api={api}
          keyDetails={open.key}
          maxGrace={props.config.policy.maxResetGracePeriod}
          onCancel={() => setOpen(undefined)}
          onDone={(secret) => {
            const key = open.key;
            setOpen(undefined);
            refresh();
            props.showSecret({ title: `New secret for ${key.name}`, id: key.id, idLabel: 'Key id', secret, secretLabel: 'Secret', endpoints });
          }}
        />
      )}
      {open?.kind === 'rotate' && (
        <RotateDialog
          api={api}
          keyDetails={open.key}
          maxOverlap={props.config.policy.maxRotationOverlap}
          onCancel={() => setOpen(undefined)}
          onDone={(successor) => {
            const key = open.key;
            setOpen(undefined);
            refresh();
            props.showSecret({ title: `The successor of ${key.name}`, id: successor.id, idLabel: 'Key id', secret: successor.key, secretLabel: 'Secret', endpoints });
          }}
        />
      )}
      {(open?.kind === 'suspend' || open?.kind === 'resume') && (
        <SuspendDialog
          api={api}
          keyDetails={open.key}
          action={open.kind}
          onCancel={() => setOpen(undefined)}
          onDone={() => {
            setOpen(undefined);
            refresh();
          }}
        />
      )}
      {open?.kind === 'delete' && (
        <DeleteDialog
          api={api}
          keyDetails={open.key}
          onCancel={() => setOpen(undefined)}
          onDone={() => {
            setOpen(undefined);
            refresh();
          }}
        />
      )}
    </section>
  );
}
