// A real OpenID Connect provider for the tracker's sign-in tests: panva's oidc-provider (an
// OpenID-certified implementation) on 127.0.0.1, with a plain login page of its own.
//
// Everything the tests change lives in one JSON file (STATE_FILE), read again on every request:
//   clients:   [{client_id, client_secret, redirect_uris, post_logout_redirect_uris}] (read at start)
//   accounts:  {login: {claims: {...}, amr: [...], acr: "..."}}: who can sign in, what they assert
//   misbehave: null, or how the provider's next ID tokens go wrong, as a broken or hostile
//              provider's would: "audience" (issued to another client), "nonce" (a nonce the
//              tracker never sent), "signature" (a claim changed after signing).
// Prints "listening on <issuer>" when ready. Never reaches beyond loopback.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const STATE_FILE = process.env.STATE_FILE;
const state = () => JSON.parse(readFileSync(STATE_FILE, 'utf8'));
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, error = '') {
  return page('Test identity provider', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label for="login">Account</label> <input id="login" name="login" autofocus>
      <button type="submit">Continue</button>
    </form>`);
}

const SCOPES = 'openid email profile tracker';
// acr and amr in the openid scope: this provider, like most, puts them in every ID token (by
// default oidc-provider sends them only when the claims parameter asks).
const CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale', 'zoneinfo'],
  tracker: ['country', 'organization', 'groups', 'clearances'],
};

function configuration() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  return {
    clients: state().clients.map((client) => ({
      ...client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    claims: CLAIMS,
    acrValues: ['urn:tracker:test:password', 'urn:tracker:test:mfa'],
    scopes: SCOPES.split(' '),
    cookies: { keys: ['test-only-cookie-key'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out of the test identity provider?', `${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => { ctx.body = page('Signed out', '<p>Signed out.</p>'); },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Provider error', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = state().accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account.claims, sub }) };
    },
    // First-party: every client is granted every scope and claim without a consent page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(SCOPES);
      await grant.save();
      return grant;
    },
  };
}

// The misbehaviours, applied where the provider issues an ID token.
function misbehave(provider) {
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function issueMaybeWrongly(options) {
    const mode = options?.use === 'idtoken' ? state().misbehave : null;
    if (mode === 'nonce') this.set('nonce', 'a-nonce-the-tracker-never-sent');
    if (mode === 'audience') {
      const real = this.client;
      this.client = new Proxy(real, {
        get: (target, prop) => {
          if (prop === 'clientId') return 'another-application';
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }
    const token = await issue.call(this, options);
    if (mode !== 'signature') return token;
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url'));
    claims.sub = 'someone-else';
    return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  };
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET' && details.prompt.name === 'login') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginForm(details.uid));
    return;
  }
  if (req.method === 'POST' && details.prompt.name === 'login') {
    const login = (await readForm(req)).get('login') || '';
    const account = state().accounts[login];
    if (!account) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginForm(details.uid, 'No such account.'));
      return;
    }
    const result = { login: { accountId: login, amr: account.amr, acr: account.acr } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  // Consent: granted by loadExistingGrant; anything else is finished as it stands.
  await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
}

const server = createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.proxy = false;
  misbehave(provider);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
      return;
    }
    callback(req, res);
  });
  console.log(`listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
