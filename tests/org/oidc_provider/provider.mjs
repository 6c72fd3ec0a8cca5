// A real OpenID provider (oidc-provider) for the single sign-on tests, with a small control API.
//
//   node provider.mjs <port>
//
// Accounts are e-mail addresses: whoever the tests name with POST /control/login signs in at the next
// interaction (no form), and the ID token carries that address as `email` (and `upn`). Control endpoints:
//   POST /control/clients  {"clients": [{client_id, client_secret, redirect_uris}]}  (rebuilds the provider)
//   POST /control/login    {"account": "someone@a.test"}
//   POST /control/rotate   {}  a new signing key: the new key signs, the old one is still published
//   POST /control/tamper   {"id_token": {claim: value, ...}}  the next ID tokens carry these claims, re-signed
//                           with the provider's own current key ({} stops tampering)
//   GET  /control/health
import http from 'node:http';
import crypto from 'node:crypto';

import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const state = {
  clients: [],
  nextLogin: null,
  tamper: {},
  keys: [],
};

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: `k-${crypto.randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

function account(id) {
  return {
    accountId: id,
    async claims() {
      return { sub: id, email: id, email_verified: true, upn: id, name: id.split('@')[0] };
    },
  };
}

function build() {
  const provider = new Provider(issuer, {
    clients: state.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: state.keys },
    cookies: { keys: ['test-provider-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified', 'upn'], profile: ['name'] },
    conformIdTokenClaims: false,
    findAccount: async (ctx, id) => account(id),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  });

  // The interaction signs in the account the tests chose and consents to what the client asked for.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) {
      return next();
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      if (!state.nextLogin) {
        ctx.status = 400;
        ctx.body = 'no account chosen (POST /control/login)';
        return undefined;
      }
      result = { login: { accountId: state.nextLogin } };
    } else {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { consent: { grantId: await grant.save() } };
    }
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(redirectTo);
    return undefined;
  });

  // Tampering: the token endpoint's ID token re-signed with chosen claims (a wrong nonce, an old exp).
  provider.use(async (ctx, next) => {
    await next();
    const changes = state.tamper.id_token;
    if (ctx.path !== '/token' || !changes || !ctx.body || !ctx.body.id_token) {
      return;
    }
    const claims = { ...jose.decodeJwt(ctx.body.id_token), ...changes };
    const jwk = state.keys[0];
    const key = await jose.importJWK(jwk, 'RS256');
    ctx.body = { ...ctx.body, id_token: await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).sign(key) };
  });
  return provider;
}

let handler = null;

function rebuild() {
  handler = build().callback();
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString() || '{}';
  return JSON.parse(text);
}

async function control(req, res) {
  const body = req.method === 'POST' ? await readJson(req) : {};
  switch (req.url) {
    case '/control/clients':
      state.clients = body.clients;
      rebuild();
      break;
    case '/control/login':
      state.nextLogin = body.account;
      break;
    case '/control/rotate':
      state.keys = [await newKey(), state.keys[0]];
      rebuild();
      break;
    case '/control/tamper':
      state.tamper = body;
      break;
    case '/control/health':
      break;
    default:
      res.writeHead(404).end();
      return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kids: state.keys.map((k) => k.kid), issuer }));
}

state.keys = [await newKey()];
rebuild();
http.createServer((req, res) => {
  if (req.url.startsWith('/control/')) {
    control(req, res).catch((error) => {
      res.writeHead(500).end(String(error));
    });
    return;
  }
  handler(req, res);
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
