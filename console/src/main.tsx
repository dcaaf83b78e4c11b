import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, apiWith } from './api.js';
import { beginSignIn, finishSignIn, type Session, signOut } from './auth.js';
import { ShownOnce } from './dialogs.js';
import type { Catalog, Me } from './grants.js';
import { KeysPage } from './keys-page.js';
import { AuditPage, ChannelsPage, MessagesPage } from './other-pages.js';
import type { Channel, ConsoleConfig, Page, Secret } from './types.js';
import { FieldError } from './ui.js';

/**
 * keygate's console: a single page on keygate's own origin. People sign in with OpenID Connect;
 * every call carries their ID token, which keygate verifies like any credential.
 */
type Route = 'keys' | 'channels' | 'messages' | 'audit';

function routeFromHash(): Route {
  const name = location.hash.replace(/^#\/?/, '');
  return name === 'channels' || name === 'messages' || name === 'audit' ? name : 'keys';
}

function SignInPage(props: { config: ConsoleConfig; error: string | undefined }) {
  return (
    <main class="sign-in" id="main">
      <h1>keygate</h1>
      <p>Manage your API keys: create them, see when they were last used and when they expire, reset and delete them.</p>
      <FieldError id="sign-in-error" message={props.error} />
      {props.config.signIn ? (
        <button type="button" class="primary" onClick={() => props.config.signIn && void beginSignIn(props.config.signIn)}>
          Sign in
        </button>
      ) : (
        <p>This keygate has no sign-in configured: use an admin key with the API (see the README).</p>
      )}
    </main>
  );
}

function Console(props: { config: ConsoleConfig; session: Session; expired: (message: string) => void }) {
  const { config, session } = props;
  const api: Api = useMemo(() => apiWith(() => session.idToken, props.expired), [session]);
  const [route, setRoute] = useState<Route>(routeFromHash());
  const [me, setMe] = useState<Me | undefined>();
  const [catalog, setCatalog] = useState<Catalog | undefined>();
  const [channels, setChannels] = useState<Channel[]>([]);
  const [secret, setSecret] = useState<Secret | undefined>();
  const [error, setError] = useState<string | undefined>();

  const reloadChannels = () => {
    api<Page<Channel>>('GET', '/v1/channels?limit=100')
      .then((p) => setChannels(p.items))
      .catch(() => setChannels([]));
  };
  useEffect(() => {
    const onHash = () => setRoute(routeFromHash());
    addEventListener('hashchange', onHash);
    Promise.all([api<Me>('GET', '/v1/me'), api<Catalog>('GET', '/v1/catalog')])
      .then(([m, c]) => {
        setMe(m);
        setCatalog(c);
      })
      .catch((e: Error) => setError(e.message));
    reloadChannels();
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const titles: Record<Route, string> = { keys: 'Keys', channels: 'Channels', messages: 'Operator messages', audit: 'Audit log' };
    document.title = `${titles[route]}: keygate`;
  }, [route]);

  if (error) return <FieldError id="console-error" message={error} />;
  if (!me || !catalog) return <p aria-busy="true">Loading…</p>;
  const links: [Route, string][] = [
    ['keys', 'Keys'],
    ['channels', 'Channels'],
    ['messages', 'Operator messages'],
    ...(me.admin ? ([['audit', 'Audit log']] as [Route, string][]) : []),
  ];
  return (
    <>
      <header>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <span class="brand">keygate</span>
        <nav aria-label="Console">
          <ul>
            {links.map(([name, label]) => (
              <li>
                <a href={`#/${name}`} aria-current={route === name ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="who">
          {session.email} · {me.admin ? 'admin' : 'your own keys'}
        </span>
        <button type="button" onClick={() => config.signIn && signOut(config.signIn, session)}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route === 'keys' && <KeysPage api={api} me={me} catalog={catalog} config={config} channels={channels} showSecret={setSecret} />}
        {route === 'channels' && <ChannelsPage api={api} me={me} channels={channels} reloadChannels={reloadChannels} showSecret={setSecret} />}
        {route === 'messages' && <MessagesPage api={api} />}
        {route === 'audit' && me.admin && <AuditPage api={api} />}
      </main>
      {secret && <ShownOnce secret={secret} onClose={() => setSecret(undefined)} />}
    </>
  );
}

function App(props: { config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(true);
  useEffect(() => {
    const signIn = props.config.signIn;
    if (!signIn) {
      setChecking(false);
      return;
    }
    finishSignIn(signIn)
      .then((s) => s && setSession(s))
      .catch((e: Error) => setError(`Sign-in failed: ${e.message}`))
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <p aria-busy="true">Signing in…</p>;
  if (!session) return <SignInPage config={props.config} error={error} />;
  return (
    <Console
      config={props.config}
      session={session}
      expired={(message) => {
        setSession(undefined);
        setError(`${message}. Sign in again.`);
      }}
    />
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  try {
    const response = await fetch('/console/config.json');
    if (!response.ok) throw new Error(`keygate answered ${response.status}`);
    render(<App config={(await response.json()) as ConsoleConfig} />, root);
  } catch (error) {
    root.textContent = `The console could not load its settings: ${(error as Error).message}`;
  }
}

void start();
