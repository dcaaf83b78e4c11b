import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import type { KeyDetails, KeyUsage24h, Secret } from './types.js';
import { Dialog, FieldError, formatDate } from './ui.js';

/**
 * The shown-once window: the id, the secret and where to use them, with copy buttons. Closing it
 * before anything was copied asks for confirmation: the secret cannot be shown again.
 */
export function ShownOnce(props: { secret: Secret; onClose: () => void }) {
  const { secret } = props;
  const [copied, setCopied] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const copy = async (label: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(label);
    } catch {
      setCopied(undefined);
    }
  };
  const rows: [string, string][] = [
    [secret.idLabel, secret.id],
    [secret.secretLabel, secret.secret],
    ...(secret.endpoints
      ? ([
          ['Token endpoint', secret.endpoints.tokenEndpoint],
          ['Base URL', secret.endpoints.baseUrl],
        ] as [string, string][])
      : []),
  ];
  return (
    <Dialog title={secret.title} onClose={() => (copied ? props.onClose() : setConfirming(true))} wide testId="shown-once">
      <p class="warning" role="note">
        Copy the {secret.secretLabel.toLowerCase()} now and keep it in a safe place such as a password manager. This is the only time it is shown: keygate keeps only a hash
        of it. If you lose it, reset it.
      </p>
      <dl class="secret">
        {rows.map(([label, value]) => (
          <div>
            <dt>{label}</dt>
            <dd>
              <code data-testid={`shown-${label.toLowerCase().replace(/\W+/g, '-')}`}>{value}</code>
              <button type="button" onClick={() => void copy(label, value)} aria-label={`Copy ${label.toLowerCase()}`}>
                Copy
              </button>
            </dd>
          </div>
        ))}
      </dl>
      <p aria-live="polite" class="hint">
        {copied ? `${copied} copied to the clipboard.` : ''}
      </p>
      {confirming ? (
        <div class="confirm" role="alertdialog" aria-label="Close without copying?">
          <p>You have not copied anything. Once this window is closed, the {secret.secretLabel.toLowerCase()} cannot be shown again.</p>
          <div class="actions">
            <button type="button" onClick={() => setConfirming(false)} autoFocus>
              Go back
            </button>
            <button type="button" class="danger" onClick={props.onClose}>
              Close without copying
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="button" class="primary" onClick={() => (copied ? props.onClose() : setConfirming(true))}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}

/** How long the old credential keeps working, besides "none": the choices Reset and Rotate offer. */
const OVERLAP_CHOICES: [string, string][] = [
  ['PT1H', '1 hour'],
  ['P1D', '1 day'],
  ['P7D', '7 days'],
];

/**
 * A dialog that asks how long the old credential keeps working (none, or one of OVERLAP_CHOICES)
 * and submits it: Reset (the old secret's grace period) and Rotate (the old key's overlap).
 * `submit` gets '' for none; its error is shown under the choice.
 */
function OverlapDialog(props: {
  title: string;
  testId: string;
  intro: ComponentChildren;
  /** The select's id (and its error's: `<fieldId>-error`). */
  fieldId: string;
  label: string;
  noneLabel: string;
  submitLabel: string;
  submit: (duration: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [duration, setDuration] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const errorId = `${props.fieldId}-error`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.submit(duration);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onCancel} testId={props.testId}>
      <form onSubmit={submit}>
        <p>{props.intro}</p>
        <label for={props.fieldId}>{props.label}</label>
        <select id={props.fieldId} value={duration} aria-describedby={error ? errorId : undefined} onChange={(e) => setDuration(e.currentTarget.value)}>
          {[['', props.noneLabel] as [string, string], ...OVERLAP_CHOICES].map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
        <FieldError id={errorId} message={error} />
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={busy}>
            {props.submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Reset secret: a new secret for the same id, with an optional grace period for the old one. */
export function ResetDialog(props: { api: Api; keyDetails: KeyDetails; maxGrace: string; onDone: (key: string) => void; onCancel: () => void }) {
  return (
    <OverlapDialog
      title={`Reset the secret of ${props.keyDetails.name}`}
      testId="reset-dialog"
      intro="The key id stays the same. Whatever uses the old secret loses access when the grace period ends."
      fieldId="grace"
      label={`Grace period for the old secret (at most ${props.maxGrace})`}
      noneLabel="None: the old secret stops working at once"
      submitLabel="Reset secret"
      submit={async (grace) => {
        const result = await props.api<{ key: string }>('POST', `/v1/keys/${props.keyDetails.id}/reset`, grace ? { gracePeriod: grace } : {});
        props.onDone(result.key);
      }}
      onCancel={props.onCancel}
    />
  );
}

/**
 * Delete: confirms, and says when the key was last used and how often in the last 24 hours (the key
 * details' usage24h), so nobody deletes a key still in use unawares.
 */
export function DeleteDialog(props: { api: Api; keyDetails: KeyDetails; onDone: () => void; onCancel: () => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [usage, setUsage] = useState<KeyUsage24h | 'unknown' | undefined>();
  const { keyDetails } = props;
  useEffect(() => {
    props.api<{ usage24h: KeyUsage24h }>('GET', `/v1/keys/${keyDetails.id}`).then(
      (details) => setUsage(details.usage24h),
      () => setUsage('unknown'),
    );
  }, [keyDetails.id]);
  const remove = async () => {
    setBusy(true);
    try {
      await props.api('DELETE', `/v1/keys/${keyDetails.id}`);
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete ${keyDetails.name}?`} onClose={props.onCancel} testId="delete-dialog">
      <p>
        Last used: <strong data-testid="delete-last-used">{keyDetails.lastUsedAt ? formatDate(keyDetails.lastUsedAt) : 'never'}</strong>.
      </p>
      <p>
        Uses in the last 24 hours:{' '}
        <strong data-testid="delete-usage">
          {usage === undefined ? '…' : usage === 'unknown' ? 'not known' : `${usage.allowed} allowed, ${usage.rateLimited + usage.refused} refused`}
        </strong>{' '}
        (counted within seconds).
      </p>
      <p>Whatever still uses this key stops working at once. This cannot be undone.</p>
      <FieldError id="delete-error" message={error} />
      <div class="actions">
        <button type="button" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
          Delete key
        </button>
      </div>
    </Dialog>
  );
}

/**
 * Rotate: a new key (new id and secret) with the same owner, name, description, grants, tags and
 * notification settings and a fresh default lifetime; the old key works on for the overlap, then
 * is revoked.
 */
export function RotateDialog(props: { api: Api; keyDetails: KeyDetails; maxOverlap: string; onDone: (successor: { id: string; key: string }) => void; onCancel: () => void }) {
  return (
    <OverlapDialog
      title={`Rotate ${props.keyDetails.name}`}
      testId="rotate-dialog"
      intro="A new key takes over the name, description, grants and notification settings, with a new expiry. Move the integration to it before the old key stops working."
      fieldId="overlap"
      label={`The old key keeps working for (at most ${props.maxOverlap})`}
      noneLabel="None: the old key stops working at once"
      submitLabel="Rotate key"
      submit={async (overlap) => props.onDone(await props.api<{ id: string; key: string }>('POST', `/v1/keys/${props.keyDetails.id}/rotate`, overlap ? { overlap } : {}))}
      onCancel={props.onCancel}
    />
  );
}

/** Suspend or resume: a suspended key is refused everywhere until resumed; its expiry keeps running. */
export function SuspendDialog(props: { api: Api; keyDetails: KeyDetails; action: 'suspend' | 'resume'; onDone: () => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { keyDetails, action } = props;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.api('POST', `/v1/keys/${keyDetails.id}/${action}`, reason.trim() ? { reason: reason.trim() } : {});
      props.onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const verb = action === 'suspend' ? 'Suspend' : 'Resume';
  return (
    <Dialog title={`${verb} ${keyDetails.name}?`} onClose={props.onCancel} testId={`${action}-dialog`}>
      <form onSubmit={submit}>
        <p>
          {action === 'suspend'
            ? 'Every use is refused from now on (API, tokens, verify, the authorizer) until the key is resumed. Its expiry keeps running.'
            : `The key works again at once.${keyDetails.suspendedReason ? ` It was suspended: ${keyDetails.suspendedReason}` : ''}`}
        </p>
        <label for="state-reason">Reason, for the audit log (optional)</label>
        <input id="state-reason" value={reason} maxLength={256} aria-describedby={error ? 'state-error' : undefined} onInput={(e) => setReason(e.currentTarget.value)} />
        <FieldError id="state-error" message={error} />
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class={action === 'suspend' ? 'danger' : 'primary'} disabled={busy}>
            {verb} key
          </button>
        </div>
      </form>
    </Dialog>
  );
}
