//! An identity provider whose key set can be made to fail on demand: down (`503`), slow
//! (answers after [`SLOW`]), garbage (`200` with a body that is not a JWKS), or up with any
//! key set (rotation). It counts fetches. Loopback only.
#![allow(dead_code, unreachable_pub, missing_docs)]

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mcp_runtime::auth::TokenValidation;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// How long a slow key set takes to answer.
pub const SLOW: Duration = Duration::from_millis(1500);

/// What the key set endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Up = 0,
    Down = 1,
    Slow = 2,
    Garbage = 3,
    /// `200` with a JSON document whose keys are all unusable.
    BadKeys = 4,
}

impl Mode {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Down,
            2 => Self::Slow,
            3 => Self::Garbage,
            4 => Self::BadKeys,
            _ => Self::Up,
        }
    }
}

pub struct FaultyIdp {
    pub url: String,
    pub keys: Arc<Mutex<Vec<Value>>>,
    pub fetches: Arc<AtomicUsize>,
    mode: Arc<AtomicU8>,
    _stop: oneshot::Sender<()>,
}

impl FaultyIdp {
    pub async fn start(keys: Vec<Value>, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mode_cell = Arc::new(AtomicU8::new(mode as u8));
        let (k, f, m) = (keys.clone(), fetches.clone(), mode_cell.clone());
        let app = Router::new().route(
            "/jwks",
            get(move || {
                let (k, f, m) = (k.clone(), f.clone(), m.clone());
                async move { serve_keys(&k, &f, Mode::from_u8(m.load(Ordering::SeqCst))).await }
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            url,
            keys,
            fetches,
            mode: mode_cell,
            _stop: stop,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = keys;
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Settings trusting this provider's key set for `audience` (ES256 only).
    pub fn validation(&self, audience: &str) -> TokenValidation {
        let mut v = TokenValidation::new(self.url.clone(), audience);
        v.jwks_uri = Some(format!("{}/jwks", self.url));
        v.algorithms = vec!["ES256".into()];
        v
    }
}

async fn serve_keys(keys: &Mutex<Vec<Value>>, fetches: &AtomicUsize, mode: Mode) -> Response {
    fetches.fetch_add(1, Ordering::SeqCst);
    match mode {
        Mode::Up => axum::Json(json!({ "keys": keys.lock().unwrap().clone() })).into_response(),
        Mode::Down => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Mode::Slow => {
            tokio::time::sleep(SLOW).await;
            axum::Json(json!({ "keys": keys.lock().unwrap().clone() })).into_response()
        }
        Mode::Garbage => (StatusCode::OK, "<html>maintenance</html>\u{0}\u{ff}").into_response(),
        Mode::BadKeys => axum::Json(json!({ "keys": [{"kty": "XX", "kid": 7}] })).into_response(),
    }
}
