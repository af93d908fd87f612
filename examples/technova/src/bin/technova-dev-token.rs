//! DEVELOPMENT ONLY: mints an access token signed with the development key checked into
//! `examples/technova/dev/`, for a TechNova server started with that key's JWKS.
//!
//! The MCP server itself never issues tokens; this separate tool stands in for an identity
//! provider on a developer's machine. Never trust `dev/dev-jwks.json` outside `dev`.
//!
//! ```sh
//! technova-dev-token --scopes "orders:read orders:write" --sub alice --ttl 600
//! technova-dev-token --sub lead --claims '{"tenant":"technova","roles":["support-lead"]}'
//! ```

use anyhow::Context as _;
use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// The development signing key (see `examples/technova/dev/README.md`).
const DEV_KEY: &str = include_str!("../../dev/dev-signing-key.pem");
/// Its key id in `dev/dev-jwks.json`.
const DEV_KID: &str = "technova-dev-1";
/// The development issuer (a name that cannot resolve).
const DEV_ISSUER: &str = "https://dev-issuer.technova.invalid";

#[derive(Parser, Debug)]
#[command(
    name = "technova-dev-token",
    version,
    about = "DEVELOPMENT ONLY: print an access token signed with TechNova's dev key"
)]
struct Cli {
    /// Space- or comma-separated scopes to grant (e.g. "orders:read orders:write").
    #[arg(long, default_value = "orders:read")]
    scopes: String,
    /// The subject (`sub`).
    #[arg(long, default_value = "dev-user")]
    sub: String,
    /// The audience: the server's canonical resource URI.
    #[arg(long, default_value = "http://127.0.0.1:8080/mcp")]
    aud: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
    /// The issuer (`iss`).
    #[arg(long, default_value = DEV_ISSUER)]
    iss: String,
    /// The OAuth client id (`client_id`).
    #[arg(long, default_value = "technova-dev-cli")]
    client_id: String,
    /// Extra claims as a JSON object (e.g. roles or a tenant the policy checks).
    #[arg(long, default_value = r#"{"tenant":"technova"}"#)]
    claims: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let scope = cli
        .scopes
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let extra: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&cli.claims).context("--claims must be a JSON object")?;
    let mut claims = json!({
        "iss": cli.iss,
        "sub": cli.sub,
        "aud": cli.aud,
        "scope": scope,
        "client_id": cli.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + cli.ttl,
    });
    for (key, value) in extra {
        claims[key] = value;
    }
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(DEV_KID.to_owned());
    header.typ = Some("at+jwt".to_owned());
    let key = EncodingKey::from_ec_pem(DEV_KEY.as_bytes()).context("reading the dev key")?;
    let token = jsonwebtoken::encode(&header, &claims, &key).context("signing")?;
    eprintln!(
        "technova-dev-token: DEVELOPMENT token signed with the repository's dev key (never trusted outside dev)"
    );
    println!("{token}");
    Ok(())
}
