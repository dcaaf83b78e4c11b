import { useEffect, useState } from 'preact/hooks';
import { type Api, fieldOfError } from './api.js';
import type { Me } from './grants.js';
import type { Actor, AuditEntry, Channel, OperatorMessage, Page, Secret } from './types.js';
import { FieldError, formatDate, Pager } from './ui.js';

export function actorText(actor: Actor | null): string {
  if (!actor) return 'nobody (refused)';
  if (actor.person) return `${actor.person.email ?? actor.person.subject} (signed in)`;
  return actor.keyId ? `${actor.owner} (key ${actor.keyId})` : actor.owner;
}

/** Alert channels: where expiry notifications go. */
export function ChannelsPage(props: { api: Api; me: Me; channels: Channel[]; reloadChannels: () => void; showSecret: (s: Secret) => void }) {
  const { api, me } = props;
  const [type, setType] = useState<'operator' | 'email' | 'webhook'>('operator');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [listError, setListError] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = { type, name: name.trim() };
    if (type === 'email') body.addresses = target.split(/[\s,]+/).filter((s) => s !== '');
    if (type === 'webhook') body.url = target.trim();
    try {
      const created = await api<{ id: string; name: string; signingSecret?: string }>('POST', '/v1/channels', body);
      setErrors({});
      setName('');
      setTarget('');
      props.reloadChannels();
      if (created.signingSecret) {
        props.showSecret({ title: `Webhook channel ${created.name}`, id: created.id, idLabel: 'Channel id', secret: created.signingSecret, secretLabel: 'Signing secret' });
      }
    } catch (error) {
      const field = fieldOfError(error);
      setErrors({ [field === 'form' && /address|url/i.test((error as Error).message) ? 'target' : field]: (error as Error).message });
    }
  };
  const remove = async (channel: Channel) => {
    try {
      await api('DELETE', `/v1/channels/${channel.id}`);
      setListError(undefined);
      props.reloadChannels();
    } catch (error) {
      setListError((error as Error).message);
    }
  };

  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <p class="hint">Expiry notifications are sent on a channel: an email, a signed webhook, or an operator message kept in keygate.</p>
      <FieldError id="channels-error" message={listError} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Sends to</th>
            {me.admin && <th scope="col">Owner</th>}
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.channels.length === 0 && (
            <tr>
              <td colSpan={me.admin ? 6 : 5}>No channels yet.</td>
            </tr>
          )}
          {props.channels.map((c) => (
            <tr>
              <th scope="row">{c.name}</th>
              <td>{c.type}</td>
              <td>{c.type === 'email' ? c.addresses?.join(', ') : c.type === 'webhook' ? c.url : 'operator messages'}</td>
              {me.admin && <td>{c.owner ?? '—'}</td>}
              <td>{formatDate(c.createdAt)}</td>
              <td>
                <button type="button" class="danger" onClick={() => void remove(c)} aria-label={`Delete channel ${c.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New channel</h2>
      <form onSubmit={create} class="inline-form" noValidate>
        <FieldError id="channel-form-error" message={errors.form} />
        <label for="channel-type">Type</label>
        <select id="channel-type" value={type} onChange={(e) => setType(e.currentTarget.value as typeof type)}>
          <option value="operator">Operator message</option>
          <option value="email">Email</option>
          <option value="webhook">Webhook</option>
        </select>
        <label for="channel-name">Name</label>
        <input id="channel-name" value={name} aria-describedby={errors.name ? 'channel-name-error' : undefined} onInput={(e) => setName(e.currentTarget.value)} />
        <FieldError id="channel-name-error" message={errors.name} />
        {type !== 'operator' && (
          <>
            <label for="channel-target">{type === 'email' ? 'Addresses (separated by commas)' : 'URL (https)'}</label>
            <input id="channel-target" value={target} aria-describedby={errors.target ? 'channel-target-error' : undefined} onInput={(e) => setTarget(e.currentTarget.value)} />
            <FieldError id="channel-target-error" message={errors.target} />
          </>
        )}
        <div class="actions">
          <button type="submit" class="primary">
            Create channel
          </button>
        </div>
      </form>
    </section>
  );
}

/** Operator messages: notifications kept in keygate, to acknowledge. */
export function MessagesPage(props: { api: Api }) {
  const [onlyOpen, setOnlyOpen] = useState(true);
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<OperatorMessage> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reload, setReload] = useState(0);
  const cursor = cursors.at(-1);
  useEffect(() => {
    const query = new URLSearchParams({ limit: '20' });
    if (onlyOpen) query.set('acknowledged', 'false');
    if (cursor) query.set('cursor', cursor);
    props
      .api<Page<OperatorMessage>>('GET', `/v1/operator-messages?${query}`)
      .then((p) => {
        setPage(p);
        setError(undefined);
      })
      .catch((e: Error) => setError(e.message));
  }, [onlyOpen, cursor, reload]);
  const acknowledge = async (m: OperatorMessage) => {
    try {
      await props.api('POST', `/v1/operator-messages/${m.id}/acknowledge`);
      setReload(reload + 1);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="messages-title">
      <h1 id="messages-title">Operator messages</h1>
      <label class="inline">
        <input
          type="checkbox"
          checked={onlyOpen}
          onChange={(e) => {
            setOnlyOpen(e.currentTarget.checked);
            setCursors([]);
          }}
        />{' '}
        Only messages not yet acknowledged
      </label>
      <FieldError id="messages-error" message={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Subject</th>
            <th scope="col">Message</th>
            <th scope="col">Key</th>
            <th scope="col">Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.length === 0 && (
            <tr>
              <td colSpan={5}>No messages.</td>
            </tr>
          )}
          {page?.items.map((m) => (
            <tr>
              <td>{formatDate(m.createdAt)}</td>
              <th scope="row">{m.subject}</th>
              <td>{m.text}</td>
              <td>
                <code>{m.keyId}</code>
              </td>
              <td>
                {m.acknowledgedAt ? (
                  `${formatDate(m.acknowledgedAt)} by ${actorText(m.acknowledgedBy)}`
                ) : (
                  <button type="button" onClick={() => void acknowledge(m)} aria-label={`Acknowledge: ${m.subject}`}>
                    Acknowledge
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager label="Messages" hasPrevious={cursors.length > 0} next={page?.nextCursor ?? undefined} onFirst={() => setCursors([])} onNext={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])} />
    </section>
  );
}

const ACTIONS = ['', 'key.create', 'key.update', 'key.reset', 'key.delete', 'channel.create', 'channel.delete', 'notification.sent', 'notification.failed', 'notification.dropped', 'operator-message.acknowledge', 'auth.failed'];

/** The audit log, for admins: who did what, when, from where. */
export function AuditPage(props: { api: Api }) {
  const [filters, setFilters] = useState({ keyId: '', actor: '', action: '', from: '', to: '' });
  const [applied, setApplied] = useState(filters);
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<AuditEntry> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const cursor = cursors.at(-1);
  useEffect(() => {
    const query = new URLSearchParams({ limit: '25' });
    for (const [name, value] of Object.entries(applied)) {
      if (!value) continue;
      query.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
    }
    if (cursor) query.set('cursor', cursor);
    props
      .api<Page<AuditEntry>>('GET', `/v1/audit?${query}`)
      .then((p) => {
        setPage(p);
        setError(undefined);
      })
      .catch((e: Error) => setError(e.message));
  }, [applied, cursor]);
  const field = (name: keyof typeof filters, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <div>
      <label for={`audit-${name}`}>{label}</label>
      {type === 'text' ? (
        <input id={`audit-${name}`} type="text" value={filters[name]} onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })} />
      ) : (
        <input id={`audit-${name}`} type="datetime-local" value={filters[name]} onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })} />
      )}
    </div>
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          setApplied(filters);
        }}
      >
        {field('keyId', 'Key id')}
        {field('actor', 'Actor (owner)')}
        <div>
          <label for="audit-action">Action</label>
          <select id="audit-action" value={filters.action} onChange={(e) => setFilters({ ...filters, action: e.currentTarget.value })}>
            {ACTIONS.map((a) => (
              <option value={a}>{a || 'any'}</option>
            ))}
          </select>
        </div>
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <div>
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <FieldError id="audit-error" message={error} />
      <div class="table-wrap">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Key</th>
              <th scope="col">From</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.length === 0 && (
              <tr>
                <td colSpan={7}>No entries.</td>
              </tr>
            )}
            {page?.items.map((entry) => (
              <tr>
                <td>{formatDate(entry.at)}</td>
                <th scope="row">{entry.action}</th>
                <td>{entry.outcome === 'failure' ? `refused (${entry.reason})` : 'done'}</td>
                <td>{actorText(entry.actor)}</td>
                <td>{entry.keyId ? <code>{entry.keyId}</code> : entry.target ? `${entry.target.type} ${entry.target.id}` : '—'}</td>
                <td>{entry.sourceIp ?? '—'}</td>
                <td>
                  <code class="details">{Object.keys(entry.details).length ? JSON.stringify(entry.details) : ''}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label="Audit log" hasPrevious={cursors.length > 0} next={page?.nextCursor ?? undefined} onFirst={() => setCursors([])} onNext={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])} />
    </section>
  );
}
