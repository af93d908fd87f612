// A real OAuth 2.x / OpenID Connect authorization server for the end-to-end tests
// (oidc-provider). It issues JWT access tokens (`typ: at+jwt`) whose `aud` is the MCP server's
// resource URI (RFC 8707 resource indicators) and whose `scope` claim carries the granted scopes.
// The MCP server only ever validates these tokens; it never issues any.
//
//   node as.mjs    env: AS_PORT (4000), AS_ALG (RS256 | ES256), AS_SCOPES (space-separated),
//                       AS_RESOURCE (default resource when a client sends none)
// Prints one line `{"issuer": ..., "alg": ...}` on stdout when it is ready.
import Provider, { errors } from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const port = Number(process.env.AS_PORT || 4000);
const issuer = `http://127.0.0.1:${port}`;
const alg = process.env.AS_ALG || 'RS256';
const defaultResource = process.env.AS_RESOURCE || 'http://127.0.0.1:8080/mcp';
const appScopes = (process.env.AS_SCOPES || 'orders:read orders:write reports:run tools.read').split(/\s+/).filter(Boolean);

// Machine clients (client_credentials). Each carries identity-provider style claims, so the
// MCP server's policy can map roles and check tenants.
// `scope` is what each client may be granted; anything else it asks for is not issued.
const machineClients = {
  'support-agent': {
    secret: 'agent-secret',
    scope: 'orders:read reports:run tools.read',
    claims: { tenant: 'technova', roles: ['support-agent'] },
  },
  'support-lead': {
    secret: 'lead-secret',
    scope: appScopes.join(' '),
    claims: { tenant: 'technova', roles: ['support-lead'] },
  },
  // No role: what it may do follows from the scopes in its token alone (step-up).
  'ops-bot': {
    secret: 'bot-secret',
    scope: appScopes.join(' '),
    claims: { tenant: 'technova' },
  },
  'other-tenant': {
    secret: 'other-secret',
    scope: appScopes.join(' '),
    claims: { tenant: 'globex', roles: ['support-lead'] },
  },
};

const { privateKey } = await generateKeyPair(alg, { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: `e2e-${alg.toLowerCase()}-${Date.now().toString(36)}`, alg, use: 'sig' };

const clients = Object.entries(machineClients).map(([id, c]) => ({
  client_id: id,
  client_secret: c.secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: c.scope,
}));
clients.push({
  // A public client for authorization code + PKCE (driven headlessly through the dev login).
  client_id: 'technova-public',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1:8090/callback'],
  scope: `openid offline_access ${appScopes.join(' ')}`,
});

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clientDefaults: { id_token_signed_response_alg: alg },
  scopes: ['openid', 'offline_access', ...appScopes],
  clients,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => defaultResource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (!/^http:\/\/(127\.0\.0\.1|localhost):\d+\//.test(resource)) throw new errors.InvalidTarget();
        return {
          scope: appScopes.join(' '),
          audience: resource,
          accessTokenTTL: Number(process.env.AS_TOKEN_TTL || 600),
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  ttl: { ClientCredentials: Number(process.env.AS_TOKEN_TTL || 600), AccessToken: Number(process.env.AS_TOKEN_TTL || 600) },
  extraTokenClaims: (_ctx, token) => {
    const client = machineClients[token.clientId];
    return client ? client.claims : { tenant: 'technova' };
  },
});

// RFC 8414 metadata at its own well-known path (oidc-provider serves the OpenID one).
provider.use(async (ctx, next) => {
  if (ctx.path === '/.well-known/oauth-authorization-server') ctx.path = '/.well-known/openid-configuration';
  await next();
});

provider.on('server_error', (_ctx, err) => console.error('authorization server error:', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer, alg, scopes: appScopes }));
});
