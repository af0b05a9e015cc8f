// The sign-in form and the "signed in as" line (issue 13). `dev`: user id and role, a token from
// evcsm-local's POST /dev/token. `oidc`: a button to the issuer's sign-in page (oidc.js). `none`: no sign-in.
// <html data-auth> says which: "loading", "signed-out" (only the form shows), "signed-in" or "open".
import { auth, loadAuthConfig } from './auth.js';
import { beginSignIn, completeSignIn } from './oidc.js';

const $ = (id) => document.getElementById(id);

function setAuthState(value) {
    document.documentElement.dataset.auth = value;
}

function showNotice(text) {
    const notice = $('signin-notice');
    notice.textContent = text ?? '';
    notice.hidden = !text;
}

function showAccount() {
    const { sub, role } = auth.user();
    $('account-name').textContent = sub;
    $('account-role').textContent = role === 'operator' ? 'operator' : 'driver';
    $('account').hidden = false;
    $('signout').addEventListener('click', () => auth.signOut('You signed out.'));
}

function showForm(config, onSignedIn) {
    setAuthState('signed-out');
    $('signin').hidden = false;
    if (config.mode === 'oidc') {
        $('signin-oidc').hidden = false;
        $('signin-issuer').textContent = config.issuer ?? 'your identity provider';
        $('signin-oidc-button').addEventListener('click', async () => {
            try {
                await beginSignIn(config);
            } catch (error) {
                showNotice(error.message);
            }
        });
        return;
    }
    const form = $('signin-form');
    const user = $('signin-user');
    const error = $('signin-error');
    const submit = $('signin-submit');
    form.hidden = false;
    user.focus();
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const sub = user.value.trim();
        error.hidden = true;
        user.removeAttribute('aria-invalid');
        if (!/^[A-Za-z0-9._:-]{1,64}$/.test(sub)) {
            error.textContent = 'Enter a user id: 1 to 64 letters, digits or . _ : - (no spaces)';
            error.hidden = false;
            user.setAttribute('aria-invalid', 'true');
            user.focus();
            return;
        }
        submit.disabled = true;
        submit.setAttribute('aria-busy', 'true');
        try {
            await auth.devSignIn(sub, $('signin-role').value);
            showNotice(null);
            $('signin').hidden = true;
            onSignedIn();
        } catch (failure) {
            error.textContent = failure.message;
            error.hidden = false;
        } finally {
            submit.disabled = false;
            submit.setAttribute('aria-busy', 'false');
        }
    });
}

/**
 * Reads auth/config, finishes an OIDC redirect if this is one, and calls `init` once the page may use
 * the API (signed in, or an open API); otherwise shows the sign-in form, which calls it after sign-in.
 */
export async function startSignIn(init) {
    setAuthState('loading');
    let config;
    try {
        config = await loadAuthConfig();
    } catch (error) {
        setAuthState('signed-out');
        $('signin').hidden = false;
        showNotice(`${error.message} Reload the page to try again.`);
        return;
    }
    auth.init(config);
    let notice = auth.takeNotice();
    if (config.mode === 'oidc' && !auth.signedIn) {
        try {
            const token = await completeSignIn(config);
            if (token) auth.accept(token);
        } catch (error) {
            notice = error.message;
        }
    }
    const signedIn = () => {
        setAuthState(config.mode === 'none' ? 'open' : 'signed-in');
        if (config.mode !== 'none') showAccount();
        init();
    };
    if (auth.signedIn) {
        signedIn();
        return;
    }
    showNotice(notice);
    showForm(config, signedIn);
}
