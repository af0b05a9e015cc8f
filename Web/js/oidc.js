// OIDC sign-in against an external issuer (Cognito, Keycloak, …): the authorization-code flow with PKCE
// (S256), `state` and `nonce`, for a public client (no secret): the page redirects to the issuer's
// authorization endpoint and exchanges the code it gets back at the token endpoint itself. The code and
// state are removed from the address bar at once; the verifier waits in sessionStorage only during the
// redirect. Endpoints come from GET auth/config, else from the issuer's openid-configuration.
import { decodeClaims } from './auth.js';

const FLOW_KEY = 'evcsm.oidc.flow';
const ANSWER_PARAMS = ['code', 'state', 'session_state', 'iss', 'error', 'error_description', 'error_uri'];

function base64url(bytes) {
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount = 32) {
    return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
}

/** The page's own address without a query: the redirect URI registered for the client. */
function redirectURI() {
    return window.location.origin + window.location.pathname;
}

async function endpoints(config) {
    if (config.authorizationEndpoint && config.tokenEndpoint) {
        return { authorization: config.authorizationEndpoint, token: config.tokenEndpoint };
    }
    const url = `${String(config.issuer).replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`The issuer's configuration is not available (HTTP ${response.status}).`);
    const document = await response.json();
    return { authorization: document.authorization_endpoint, token: document.token_endpoint };
}

/** Redirects to the issuer's sign-in page. */
export async function beginSignIn(config) {
    if (!config.clientId) throw new Error('auth/config names no clientId for the OIDC sign-in.');
    const { authorization } = await endpoints(config);
    const verifier = randomString(48);
    const flow = { verifier, state: randomString(), nonce: randomString(), search: window.location.search };
    sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
    const url = new URL(authorization);
    const params = {
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectURI(),
        scope: config.scope || 'openid',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await challengeOf(verifier),
        code_challenge_method: 'S256',
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    window.location.assign(url);
}

/**
 * Finishes a sign-in when the issuer sent the browser back with `code` and `state`: cleans the address
 * bar, checks the state, exchanges the code (with the verifier) and checks the nonce of the ID token.
 * Returns the token for the API (the access token, else the ID token), or null when this is no answer.
 */
export async function completeSignIn(config) {
    const answer = new URLSearchParams(window.location.search);
    if (!answer.has('code') && !answer.has('error')) return null;
    const stored = sessionStorage.getItem(FLOW_KEY);
    sessionStorage.removeItem(FLOW_KEY);
    let flow = null;
    try {
        flow = JSON.parse(stored ?? 'null');
    } catch {
        flow = null;
    }
    const clean = new URL(window.location.href);
    if (flow) clean.search = flow.search;
    else for (const name of ANSWER_PARAMS) clean.searchParams.delete(name);
    window.history.replaceState(null, '', clean);
    if (answer.has('error')) {
        throw new Error(`The issuer refused the sign-in: ${answer.get('error_description') || answer.get('error')}.`);
    }
    if (!flow || flow.state !== answer.get('state')) {
        throw new Error('The sign-in answer does not belong to this tab (state mismatch). Please sign in again.');
    }
    const { token: tokenEndpoint } = await endpoints(config);
    const response = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: answer.get('code'),
            redirect_uri: redirectURI(),
            client_id: config.clientId,
            code_verifier: flow.verifier,
        }),
        cache: 'no-store',
    });
    const tokens = await response.json().catch(() => ({}));
    if (!response.ok) {
        throw new Error(`The code exchange failed: ${tokens.error_description || tokens.error || `HTTP ${response.status}`}.`);
    }
    if (tokens.id_token && decodeClaims(tokens.id_token)?.nonce !== flow.nonce) {
        throw new Error('The ID token does not carry this sign-in\'s nonce. Please sign in again.');
    }
    const token = tokens.access_token || tokens.id_token;
    if (!token) throw new Error('The issuer sent no token.');
    return token;
}
