// The official TypeScript SDK client against an OAuth-protected MCP server, with the SDK's own
// OAuth support doing the whole dance: 401 -> protected resource metadata -> authorization
// server metadata -> token (with the `resource` indicator) -> retry; and a 403
// `insufficient_scope` step-up when a tool needs more. Prints one JSON summary line; every HTTP
// status and challenge the client saw is recorded in `exchange`.
//
// usage: node ts-oauth-client.mjs <mcp-url> client_credentials <client-id> <secret> <issuer> [scope]
//        (with client credentials the SDK always asks for the configured scope, so a step-up
//        cannot widen it: the 403 is retried once and reported)
//        node ts-oauth-client.mjs <mcp-url> authorization_code <client-id> <username> <issuer>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [url, grant, clientId, secretOrUser, issuer, ccScope] = process.argv.slice(2);
const exchange = [];
const recordingFetch = async (input, init) => {
  const response = await fetch(input, init);
  const target = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  let rpc;
  try { rpc = init?.body ? JSON.parse(init.body).method : undefined; } catch { rpc = undefined; }
  exchange.push({
    method: init?.method ?? 'GET',
    path: target.pathname,
    rpc,
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? undefined,
  });
  return response;
};

// A headless browser stand-in for the authorization code flow: follows oidc-provider's
// development login and consent forms with a cookie jar, and stops at the redirect URI.
async function loginHeadlessly(authorizationUrl, username, redirectUri) {
  const jar = new Map();
  const remember = (res) => {
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let next = { url: authorizationUrl.toString(), method: 'GET' };
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: { cookie: cookie(), ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: next.body,
    });
    remember(res);
    const location = res.headers.get('location');
    if (location) {
      const target = new URL(location, next.url);
      if (target.toString().startsWith(redirectUri)) {
        const code = target.searchParams.get('code');
        if (!code) throw new Error(`authorization failed: ${target.search}`);
        return code;
      }
      next = { url: target.toString(), method: 'GET' };
      continue;
    }
    const html = await res.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form at ${next.url} (HTTP ${res.status}): ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [tag] of form[2].matchAll(/<input[^>]*>/gi)) {
      const name = /\bname="([^"]*)"/.exec(tag)?.[1];
      if (name) fields.set(name, /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
    }
    if (fields.has('login')) fields.set('login', username);
    if (fields.has('password')) fields.set('password', 'any');
    next = { url: new URL(form[1], next.url).toString(), method: 'POST', body: fields.toString() };
  }
  throw new Error('too many hops in the login flow');
}

class MemoryProvider {
  constructor(clientId, redirectUrl) {
    this._client = { client_id: clientId };
    this._redirect = redirectUrl;
  }
  get redirectUrl() { return this._redirect; }
  get clientMetadata() {
    return {
      client_name: 'technova-e2e',
      redirect_uris: [this._redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; }
  redirectToAuthorization(url) { this.pendingAuthorization = url; }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
}

const summary = { grant, tokenScopes: [] };
// The scopes inside the current access token (decoded locally, for the summary only).
const tokenScope = () => {
  const token = provider.tokens()?.access_token;
  if (!token) return null;
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).scope ?? null;
};
let provider;
if (grant === 'client_credentials') {
  provider = new ClientCredentialsProvider({ clientId, clientSecret: secretOrUser, expectedIssuer: issuer, scope: ccScope });
} else {
  provider = new MemoryProvider(clientId, 'http://127.0.0.1:8090/callback');
}

const newTransport = () => new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: recordingFetch });

// Completes an interactive authorization the SDK asked for (authorization code + PKCE).
async function authorizeInteractively(transport) {
  const code = await loginHeadlessly(provider.pendingAuthorization, secretOrUser, provider.redirectUrl);
  provider.pendingAuthorization = undefined;
  await transport.finishAuth(code);
}

// Runs `action`, and once more after an interactive authorization if the SDK asked for one.
async function withAuthorization(transport, action) {
  try {
    return await action();
  } catch (e) {
    if (!(e instanceof UnauthorizedError) || !provider.pendingAuthorization) throw e;
    await authorizeInteractively(transport);
    return await action();
  }
}

async function connect() {
  for (let attempt = 0; attempt < 2; attempt++) {
    const transport = newTransport();
    const client = new Client({ name: 'ts-sdk-oauth-e2e', version: '1.0.0' }, { capabilities: {} });
    try {
      await client.connect(transport);
      return { client, transport };
    } catch (e) {
      if (!(e instanceof UnauthorizedError) || !provider.pendingAuthorization) throw e;
      await authorizeInteractively(transport);
    }
  }
  throw new Error('the authorization did not complete');
}

const { client, transport } = await connect();
summary.tokenScopes.push(tokenScope());
summary.server = client.getServerVersion();
summary.tools = (await client.listTools()).tools.map((t) => t.name);
summary.lookup = await client.callTool({ name: 'get_order_status', arguments: { order_id: 'TN-1003' } });
try {
  summary.cancel = await withAuthorization(transport, () =>
    client.callTool({ name: 'cancel_order', arguments: { order_id: 'TN-1005', reason: 'customer changed mind' } }),
  );
} catch (e) {
  summary.cancelError = { name: e.constructor.name, code: e.code, message: e.message };
}
summary.tokenScopes.push(tokenScope());
await client.close();
summary.exchange = exchange;
console.log(JSON.stringify(summary));
