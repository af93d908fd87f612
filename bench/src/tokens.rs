//! The bench's own identity provider: an RSA key generated for this run, its JWKS served on a
//! loopback port, and RS256 access tokens minted with it (one to reuse, and a list of distinct
//! ones for the fresh-token-per-request runs).

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// The key id the tokens name.
const KID: &str = "bench-rs256";

/// A signing key and where its public half is served.
pub(crate) struct Issuer {
    /// The issuer identifier (`iss`), also the JWKS server's origin.
    pub(crate) url: String,
    key: EncodingKey,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer").field("url", &self.url).finish()
    }
}

impl Issuer {
    /// Generates an RSA-2048 key and serves its JWKS at `{url}/jwks` from a background thread
    /// for the rest of the process.
    pub(crate) fn start() -> anyhow::Result<Self> {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .context("generating an RSA key")?;
        let der = private.to_pkcs1_der().context("encoding the RSA key")?;
        let key = EncodingKey::from_rsa_der(der.as_bytes());
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr: SocketAddr = listener.local_addr()?;
        let body = json!({ "keys": [jwk] });
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().route(
                    "/jwks",
                    axum::routing::get(move || {
                        let body = body.clone();
                        async move { axum::Json(body) }
                    }),
                );
                let _ = axum::serve(listener, app).await;
            });
        });
        Ok(Self {
            url: format!("http://{addr}"),
            key,
        })
    }

    /// The JWKS URL.
    pub(crate) fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.url)
    }

    /// An RS256 access token for `audience` holding `scope`, valid for an hour; `jti` makes
    /// each token distinct.
    pub(crate) fn mint(&self, audience: &str, scope: &str, jti: u64) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims: Value = json!({
            "iss": self.url, "sub": format!("bench-user-{}", jti % 1000), "aud": audience,
            "scope": scope, "client_id": "bench-client", "jti": jti.to_string(),
            "iat": now, "nbf": now, "exp": now + 3600,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.to_owned());
        header.typ = Some("at+jwt".to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).context("signing a token")
    }

    /// `count` distinct tokens, minted on every core.
    pub(crate) fn mint_many(
        &self,
        audience: &str,
        scope: &str,
        count: usize,
    ) -> anyhow::Result<Vec<String>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = count.div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let start = t * per;
                        let end = ((t + 1) * per).min(count);
                        (start..end)
                            .map(|i| self.mint(audience, scope, 1_000_000 + i as u64))
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(count);
            for h in handles {
                all.extend(h.join().expect("a minting thread")?);
            }
            Ok(all)
        })
    }
}
