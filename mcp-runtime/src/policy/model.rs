//! The shape of `policy.toml`, as written. Every name a person types keeps its position in the
//! file (`Spanned`), so that mistakes are reported at `file:line:column`.
//!
//! This is the *raw* model; [`crate::policy::load`] validates it against the tools compiled into
//! the binary and [`crate::policy::engine`] compiles one environment of it into a decision
//! engine.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use toml::Spanned;

/// A name with its position in the file.
pub(crate) type Name = Spanned<String>;

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyFile {
    /// `[server]`: which server this policy is for.
    #[serde(default)]
    pub server: ServerSection,
    /// `[scopes]`: the scope hierarchy and policy-only scopes.
    #[serde(default)]
    pub scopes: ScopesSection,
    /// `[grants]`: identity-provider vocabulary mapped to application scopes.
    #[serde(default)]
    pub grants: GrantsSection,
    /// `[tools.NAME]`: tightening rules for every environment.
    #[serde(default)]
    pub tools: BTreeMap<Name, Rule>,
    /// `[prompts.NAME]`: tightening rules for every environment.
    #[serde(default)]
    pub prompts: BTreeMap<Name, Rule>,
    /// `[resources."URI or URI template"]`: tightening rules for every environment.
    #[serde(default)]
    pub resources: BTreeMap<Name, Rule>,
    /// `[defaults]`: settings every environment starts from.
    #[serde(default)]
    pub defaults: EnvSection,
    /// `[env.NAME]`: per-environment overlays.
    #[serde(default)]
    pub env: BTreeMap<Name, EnvSection>,
}

/// `[server]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSection {
    /// The server's name (`serverInfo.name`); when set, it must match the binary.
    pub name: Option<Name>,
}

/// `[scopes]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopesSection {
    /// A broader scope implies narrower ones: `"orders:admin" = ["orders:write"]`.
    #[serde(default)]
    pub implies: BTreeMap<Name, Vec<Name>>,
    /// Application scopes that no tool declares but the policy requires or grants.
    #[serde(default)]
    pub extra: Vec<Name>,
}

/// `[grants]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantsSection {
    /// Token scope (identity-provider vocabulary) -> application scopes.
    #[serde(default)]
    pub scope: BTreeMap<Name, Vec<Name>>,
    /// Role -> application scopes; roles are read from [`GrantsSection::roles_claim`].
    #[serde(default)]
    pub role: BTreeMap<Name, Vec<Name>>,
    /// The claim holding the caller's roles, as a dotted path (default `roles`).
    pub roles_claim: Option<Name>,
}

/// `[tools.NAME]`, `[prompts.NAME]`, `[resources."URI"]` and the same under `[env.E]`: rules
/// that can only tighten the code's declaration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rule {
    /// `false` disables the item (nobody may use it, and it is not listed).
    pub enabled: Option<Spanned<bool>>,
    /// Scopes required on top of those the code declares.
    #[serde(default)]
    pub require_scopes: Vec<Name>,
    /// Claim conditions that must all hold: `{ tenant = "technova", groups = ["a", "b"] }`.
    #[serde(default)]
    pub require_claims: BTreeMap<Name, Spanned<ClaimMatch>>,
    /// Per-caller limit such as `"5/minute"`, or `"none"` to lift an inherited one.
    pub rate_limit: Option<Name>,
    /// A CEL condition over `claims`, `args`, `env` and `resource` (tools only).
    pub condition: Option<Name>,
    /// `shadow`: what this rule adds is only audited (would-deny), not enforced.
    pub mode: Option<Spanned<Mode>>,
    /// `"required"`: the user approves each call through elicitation before it runs
    /// (tools only; see `policy/approval.rs`).
    pub approval: Option<Name>,
}

/// Whether rules are enforced or only audited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Denials deny.
    #[default]
    Enforce,
    /// Denials are audited as would-deny and the call goes ahead.
    Shadow,
}

/// What a claim must hold.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum ClaimMatch {
    /// The claim equals this string (or, if it is an array, contains it).
    One(String),
    /// The claim matches at least one of these strings.
    AnyOf(Vec<String>),
}

/// Which transport an environment serves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// One local user on stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    Http,
}

impl TransportKind {
    /// The name used in the file and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }
}

/// What list results (`tools/list`, `prompts/list`, `resources/list`, …) show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListMode {
    /// Only what the caller may use (`cacheScope: "private"`).
    Permitted,
    /// Every enabled item, so clients can discover and step up (`cacheScope: "public"`).
    All,
}

/// `[defaults]` and `[env.NAME]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnvSection {
    /// Another environment this one starts from (`[env.*]` only).
    pub extends: Option<Name>,
    /// `stdio` or `http`.
    pub transport: Option<Spanned<TransportKind>>,
    /// HTTP listen address, e.g. `0.0.0.0:8443` (`${VAR}` allowed).
    pub bind: Option<Name>,
    /// This server's canonical resource URI (`${VAR}` allowed).
    pub resource: Option<Name>,
    /// `permitted` (default) or `all`.
    pub list: Option<Spanned<ListMode>>,
    /// `shadow`: every rule of the file is only audited in this environment.
    pub mode: Option<Spanned<Mode>>,
    /// Token validation settings.
    pub auth: Option<AuthSection>,
    /// The local stdio user.
    pub principal: Option<PrincipalSection>,
    /// A variable holding a token for a stdio process (validated like an HTTP bearer token).
    pub token_env: Option<Name>,
    /// The Prometheus exporter (HTTP only): `metrics = { bind = "…", path = "/metrics" }`.
    pub metrics: Option<MetricsSection>,
    /// Where every decision goes as one JSON line: `off`, `stderr` or `file:PATH`.
    pub decision_log: Option<Name>,
    /// Tools, prompts and resources meant to be out of every caller's reach here (so the
    /// coverage lint of `check` expects it, and says when one becomes reachable).
    #[serde(default)]
    pub unreachable: Vec<Name>,
    /// The shared store of rate limits, sessions and single-use records (`redis://…`;
    /// absent = in memory, per process).
    pub store: Option<Name>,
    /// Per-environment tool rules (`[env.*]` only).
    #[serde(default)]
    pub tools: BTreeMap<Name, Rule>,
    /// Per-environment prompt rules (`[env.*]` only).
    #[serde(default)]
    pub prompts: BTreeMap<Name, Rule>,
    /// Per-environment resource and resource-template rules (`[env.*]` only).
    #[serde(default)]
    pub resources: BTreeMap<Name, Rule>,
}

/// `auth = { … }`: how bearer tokens are validated.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthSection {
    /// Expected `iss`.
    pub issuer: Option<Name>,
    /// Expected `aud` (defaults to the environment's `resource`).
    pub audience: Option<Name>,
    /// Signing keys: an `https://`/`http://` URL or a `file://` path; absent = discovery.
    pub jwks: Option<Name>,
    /// Accepted JWS algorithms.
    pub algorithms: Option<Spanned<Vec<Name>>>,
    /// Clock leeway, e.g. `"30s"`.
    pub leeway: Option<Name>,
    /// Authorization servers advertised in the protected resource metadata.
    pub authorization_servers: Option<Vec<Name>>,
    /// The most validated tokens remembered at once (`0` turns the cache off).
    pub token_cache: Option<Spanned<i64>>,
}

/// `metrics = { … }`: where the Prometheus exporter listens.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsSection {
    /// Its own listen address (default `127.0.0.1:9464`; `${VAR}` allowed).
    pub bind: Option<Name>,
    /// The path (default `/metrics`).
    pub path: Option<Name>,
}

/// `principal = { … }`: who the local stdio user is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrincipalSection {
    /// Subject name (default `local-user`).
    pub sub: Option<Name>,
    /// Scopes held, mapped through grants and the hierarchy like token scopes.
    #[serde(default)]
    pub scopes: Vec<Name>,
    /// Claims, for `require_claims` conditions.
    #[serde(default)]
    pub claims: Map<String, Value>,
}
