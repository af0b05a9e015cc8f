// Who is signed in (issue 13): the mode from GET auth/config (`dev`: evcsm-local's development issuer,
// `oidc`: an external issuer, `none`: an open API), and the bearer token every API call sends.
// The token lives in memory and in sessionStorage (so a reload keeps the tab signed in); it never goes
// into a URL, into localStorage or into a log. The user and role are read from the token's claims.

const STORAGE_KEY = 'evcsm.auth';
const NOTICE_KEY = 'evcsm.auth.notice';
/** The scope (or `cognito:groups` entry) that makes a caller an operator (DESIGN.md §1). */
export const OPERATOR_SCOPE = 'evcsm/operator';

/** The payload of a JWT (no signature check: the server checks; the page only shows who it is). */
export function decodeClaims(token) {
    const part = String(token).split('.')[1];
    if (!part) return null;
    try {
        const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
        const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        const claims = JSON.parse(new TextDecoder().decode(bytes));
        return claims && typeof claims === 'object' ? claims : null;
    } catch {
        return null;
    }
}

/** 'operator' when the scope or the Cognito groups name the operator scope, else 'driver'. */
export function roleOf(claims) {
    const scopes = String(claims?.scope ?? claims?.scp ?? '').split(/\s+/);
    const groups = claims?.['cognito:groups'];
    const groupList = Array.isArray(groups) ? groups : String(groups ?? '').replace(/^\[|\]$/g, '').split(/[\s,]+/);
    return scopes.includes(OPERATOR_SCOPE) || groupList.includes(OPERATOR_SCOPE) ? 'operator' : 'driver';
}

/** GET auth/config; a runner without the route (older evcsm-local) is an open API. */
export async function loadAuthConfig() {
    let response;
    try {
        response = await fetch(new URL('auth/config', document.baseURI), {
            headers: { Accept: 'application/json' },
            cache: 'no-store',
        });
    } catch (error) {
        throw new Error(`Cannot reach the server (${error.message}). Check that evcsm-local is running.`);
    }
    if (response.status === 404) return { mode: 'none' };
    if (!response.ok) throw new Error(`The sign-in configuration is not available (HTTP ${response.status}).`);
    const config = await response.json();
    if (!['dev', 'oidc', 'none'].includes(config?.mode)) throw new Error('Unknown sign-in mode from auth/config.');
    return config;
}

class Auth {
    constructor() {
        this.config = { mode: 'none' };
        this.token = null;
        this.claims = null;
        this.expiresAt = 0;
        this.leaving = false;
    }

    get mode() {
        return this.config.mode;
    }

    /** Takes the configuration and the tab's stored token, if it is still valid. */
    init(config) {
        this.config = config;
        if (config.mode === 'none') return;
        try {
            const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
            if (stored?.token && stored.mode === config.mode) this.accept(stored.token, stored.expiresAt);
        } catch {
            sessionStorage.removeItem(STORAGE_KEY);
        }
        if (this.token && this.expired()) {
            this.forget();
            this.setNotice('Your sign-in has expired. Please sign in again.');
        }
    }

    get signedIn() {
        return this.mode === 'none' || this.token !== null;
    }

    expired() {
        return this.expiresAt > 0 && Date.now() >= this.expiresAt;
    }

    /** The Authorization header value, or null without a token. */
    header() {
        return this.token ? `Bearer ${this.token}` : null;
    }

    /** Headers for fetch: the bearer header when signed in. */
    headers() {
        const value = this.header();
        return value ? { Authorization: value } : {};
    }

    /** The signed-in user: {sub, role}; an open API's caller is an anonymous operator. */
    user() {
        if (this.mode === 'none') return { sub: '', role: 'operator' };
        return { sub: String(this.claims?.sub ?? ''), role: roleOf(this.claims) };
    }

    /** Keeps a token (from /dev/token or the issuer); refuses one without a subject. */
    accept(token, expiresAt) {
        const claims = decodeClaims(token);
        if (!claims?.sub) throw new Error('The token names no user (no `sub` claim).');
        this.token = token;
        this.claims = claims;
        this.expiresAt = expiresAt || (Number(claims.exp) > 0 ? Number(claims.exp) * 1000 : 0);
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ mode: this.mode, token, expiresAt: this.expiresAt }));
    }

    /** POST dev/token: evcsm-local's development issuer (loopback only). */
    async devSignIn(sub, role) {
        let response;
        try {
            response = await fetch(new URL('dev/token', document.baseURI), {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
                body: JSON.stringify({ sub, role }),
                cache: 'no-store',
            });
        } catch (error) {
            throw new Error(`Cannot reach the server (${error.message}).`);
        }
        const answer = await response.json().catch(() => ({}));
        if (!response.ok || typeof answer.token !== 'string') {
            throw new Error(answer.message || answer.error || `Sign-in failed (HTTP ${response.status}).`);
        }
        const expiresAt = Number(answer.expiresIn) > 0 ? Date.now() + Number(answer.expiresIn) * 1000 : 0;
        this.accept(answer.token, expiresAt);
    }

    forget() {
        this.token = null;
        this.claims = null;
        this.expiresAt = 0;
        sessionStorage.removeItem(STORAGE_KEY);
    }

    setNotice(text) {
        if (text) sessionStorage.setItem(NOTICE_KEY, text);
    }

    /** The message to show on the sign-in form (once). */
    takeNotice() {
        const text = sessionStorage.getItem(NOTICE_KEY);
        sessionStorage.removeItem(NOTICE_KEY);
        return text;
    }

    /** Forgets the token and reloads the page to its sign-in form (nothing of the last user stays). */
    signOut(notice) {
        if (this.leaving) return;
        this.leaving = true;
        this.forget();
        this.setNotice(notice);
        window.location.reload();
    }

    /** A 401 from the API or the stream: back to sign-in, saying why. */
    unauthorized() {
        if (this.mode === 'none') return;
        this.signOut('The server refused your sign-in (HTTP 401): it has expired or is not valid. Please sign in again.');
    }
}

/** The page's one sign-in state. */
export const auth = new Auth();
