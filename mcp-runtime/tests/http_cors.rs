//! Cross-origin (browser) clients: an explicit allow-list, deny by default. Preflights are
//! answered without authentication; the `Origin` check still runs first.

mod common;

use common::*;
use serde_json::json;

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example.com";

async fn preflight(srv: &Running, origin: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, &srv.url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, mcp-protocol-version, mcp-method, mcp-name",
        )
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
}

/// Defect 13: a configured origin's preflight is answered (no token needed) with the MCP
/// methods and headers; an origin that is not configured gets no CORS grant, and an origin
/// the `Origin` check refuses is still refused.
#[tokio::test]
async fn preflights_from_allowed_and_refused_origins() {
    let idp = Idp::start(&[]).await;
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.allowed_origins.push(APP.into());
        c.cors_allowed_origins = vec![APP.into()];
    })
    .await;

    let r = preflight(&srv, APP).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let methods = header(&r, "access-control-allow-methods").unwrap();
    for m in ["post", "get", "delete", "options"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = header(&r, "access-control-allow-headers").unwrap();
    for h in [
        "authorization",
        "content-type",
        "mcp-protocol-version",
        "mcp-session-id",
        "mcp-method",
        "mcp-name",
        "last-event-id",
    ] {
        assert!(headers.contains(h), "{h} in {headers}");
    }
    assert!(
        header(&r, "www-authenticate").is_none(),
        "no auth on preflight"
    );

    // Allowed by the Origin check (loopback) but not on the CORS list: no grant.
    let r = preflight(&srv, &srv.origin()).await;
    assert!(header(&r, "access-control-allow-origin").is_none());
    // Refused by the Origin check: 403, no grant.
    let r = preflight(&srv, EVIL).await;
    assert_eq!(r.status(), 403);
    assert!(header(&r, "access-control-allow-origin").is_none());

    // The real call from the allowed origin: the challenge is readable by the page.
    let r = call(
        &client(),
        &srv.url,
        1,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .header("origin", APP)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let exposed = header(&r, "access-control-expose-headers").unwrap();
    assert!(
        exposed.contains("mcp-session-id") && exposed.contains("www-authenticate"),
        "{exposed}"
    );
}

/// Deny by default: without configuration a preflight grants nothing.
#[tokio::test]
async fn no_cross_origin_access_by_default() {
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.allowed_origins.push(APP.into());
    })
    .await;
    let r = preflight(&srv, APP).await;
    assert!(header(&r, "access-control-allow-origin").is_none());
    assert!(!r.status().is_success(), "{}", r.status());
}
