import * as oauth from 'oauth4webapi';

/**
 * Sign-in with OpenID Connect, authorization code + PKCE, by oauth4webapi (no hand-written OAuth).
 * The ID token is kept in memory only: a reload signs in again (the issuer's session makes that
 * one redirect). Only the short-lived PKCE verifier, state and nonce of a sign-in in progress sit
 * in sessionStorage (this tab only), and are removed when the sign-in returns.
 */
export interface SignInSettings {
  issuer: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  endSessionEndpoint?: string;
}

export interface Session {
  idToken: string;
  email: string;
  expiresAt: number;
}

const PENDING = 'keygate.signin';

function redirectUri(): string {
  return `${location.origin}/console`;
}

function server(settings: SignInSettings): oauth.AuthorizationServer {
  return {
    issuer: settings.issuer,
    authorization_endpoint: settings.authorizationEndpoint,
    token_endpoint: settings.tokenEndpoint,
    ...(settings.endSessionEndpoint ? { end_session_endpoint: settings.endSessionEndpoint } : {}),
  };
}

/** Plain http only to a loopback issuer (the local development identity provider). */
function insecureAllowed(settings: SignInSettings): boolean {
  const url = new URL(settings.issuer);
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

export async function beginSignIn(settings: SignInSettings): Promise<void> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, back: location.hash || '#/keys' }));
  const url = new URL(settings.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** When the page is the sign-in's return (?code=… or ?error=…), finishes it; undefined otherwise. */
export async function finishSignIn(settings: SignInSettings): Promise<Session | undefined> {
  const here = new URL(location.href);
  if (!here.searchParams.has('code') && !here.searchParams.has('error')) return undefined;
  const pendingText = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', `${location.pathname}${pendingText ? (JSON.parse(pendingText) as { back: string }).back : '#/keys'}`);
  if (!pendingText) throw new Error('This sign-in was not started here (or was already used). Sign in again.');
  const pending = JSON.parse(pendingText) as { verifier: string; state: string; nonce: string };
  const as = server(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const options = insecureAllowed(settings) ? { [oauth.allowInsecureRequests]: true } : {};
  const params = oauth.validateAuthResponse(as, client, here, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, options);
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!result.id_token || !claims) throw new Error('The identity provider sent no ID token.');
  return { idToken: result.id_token, email: typeof claims.email === 'string' ? claims.email : claims.sub, expiresAt: claims.exp * 1000 };
}

/** Forgets the session here, then ends it at the issuer when it supports that (RP-initiated logout). */
export function signOut(settings: SignInSettings, session: Session): void {
  if (!settings.endSessionEndpoint) {
    location.assign(`${location.origin}/console`);
    return;
  }
  const url = new URL(settings.endSessionEndpoint);
  url.search = new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: redirectUri(), client_id: settings.clientId }).toString();
  location.assign(url.href);
}
