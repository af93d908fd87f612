//! The values a policy writes as text: rate limits, durations, JWS algorithms, URLs and
//! `${VAR}` templates, each parsed once (at validation) into a typed value, with an error
//! message for people.

use governor::Quota;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

/// A rate limit as written: `N/second`, `N/minute` or `N/hour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period (also the burst).
    pub calls: NonZeroU32,
    /// The period.
    pub per: Duration,
    /// The limiter's quota (made once, when the text is parsed).
    quota: Quota,
}

impl RateLimit {
    /// The quota of a limiter enforcing this limit.
    pub fn quota(&self) -> Quota {
        self.quota
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "second",
            60 => "minute",
            _ => "hour",
        };
        write!(f, "{}/{unit}", self.calls)
    }
}

/// Parses `"5/minute"`; `Ok(None)` for `"none"`.
///
/// # Errors
/// What is wrong, for people.
pub(crate) fn parse_rate_limit(text: &str) -> Result<Option<RateLimit>, String> {
    if text == "none" {
        return Ok(None);
    }
    let bad =
        || format!("invalid rate limit `{text}`; write `N/second`, `N/minute`, `N/hour` or `none`");
    let (n, unit) = text.split_once('/').ok_or_else(bad)?;
    let calls: u32 = n.trim().parse().map_err(|_| bad())?;
    let calls = NonZeroU32::new(calls).ok_or_else(|| {
        format!("invalid rate limit `{text}`: the number of calls must be at least 1")
    })?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        _ => return Err(bad()),
    };
    let quota = Quota::with_period(per / calls.get())
        .ok_or_else(|| format!("invalid rate limit `{text}`: at most one call per nanosecond"))?
        .allow_burst(calls);
    Ok(Some(RateLimit { calls, per, quota }))
}

/// Parses a leeway such as `"30s"`, `"2m"` or `"500ms"`.
///
/// # Errors
/// What is wrong, for people.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{text}`; write e.g. `30s`, `2m` or `500ms`");
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: u64 = text[..digits_end].parse().map_err(|_| bad())?;
    match &text[digits_end..] {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// The largest `auth.token_cache` (validated tokens remembered at once): about 17 GiB of
/// cached callers at the typical 1.7 KiB each, far above any sensible setting.
pub(crate) const MAX_TOKEN_CACHE: usize = 10_000_000;

/// JWS algorithms a policy may accept: asymmetric only (never `none`, never an HMAC secret).
pub(crate) const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Why `${…}` interpolation failed.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InterpolationError {
    /// A malformed `${…}`.
    Syntax(String),
    /// A variable without a default is not set.
    Unset(String),
}

/// Expands `${VAR}` and `${VAR:-default}` with `lookup`; `$$` is a literal `$`.
///
/// # Errors
/// [`InterpolationError`].
#[cfg(test)]
pub(crate) fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    let parts = parse_template(text).map_err(InterpolationError::Syntax)?;
    expand(&parts, lookup).map_err(InterpolationError::Unset)
}

/// One piece of a `${VAR}` template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Text taken as it is.
    Text(String),
    /// `${name}` or `${name:-default}`.
    Var {
        name: String,
        default: Option<String>,
    },
}

/// A value that may use `${VAR}`, parsed (its syntax is known to be right), with its position
/// in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    /// Where it is written.
    pub(crate) span: std::ops::Range<usize>,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`, written at `span`.
    ///
    /// # Errors
    /// What is wrong with its `${…}`, for people.
    pub(crate) fn parse(text: &str, span: std::ops::Range<usize>) -> Result<Self, String> {
        Ok(Self {
            span,
            parts: parse_template(text)?,
        })
    }

    /// The value with every variable replaced; `Err` names a variable that is not set and
    /// has no default.
    pub(crate) fn expand(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        expand(&self.parts, lookup)
    }
}

fn parse_template(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        literal.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            literal.push('$');
            rest = tail;
            continue;
        }
        let Some(body_and_tail) = after.strip_prefix('{') else {
            return Err("a `$` must start `${VAR}` (write `$$` for a literal `$`)".to_owned());
        };
        let end = body_and_tail
            .find('}')
            .ok_or_else(|| "`${` is not closed by `}`".to_owned())?;
        let body = &body_and_tail[..end];
        let (var, default) = match body.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (body, None),
        };
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`${{{body}}}`: a variable name is letters, digits and `_`"
            ));
        }
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut literal)));
        }
        parts.push(Part::Var {
            name: var.to_owned(),
            default: default.map(str::to_owned),
        });
        rest = &body_and_tail[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

fn expand(parts: &[Part], lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Var { name, default } => {
                match (lookup(name).filter(|v| !v.is_empty()), default) {
                    (Some(v), _) => out.push_str(&v),
                    (None, Some(d)) => out.push_str(d),
                    (None, None) => return Err(name.clone()),
                }
            }
        }
    }
    Ok(out)
}

/// Which names `${VAR}` looks up (the process environment in production).
pub(crate) type VarLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub(crate) fn check_url(url: &str, allow_file: bool) -> Result<(), String> {
    let ok_scheme = url.starts_with("https://")
        || url.starts_with("http://")
        || (allow_file && url.starts_with("file://"));
    if !ok_scheme {
        return Err(format!("must be an absolute http(s) URL, not `{url}`"));
    }
    if url.contains('#') {
        return Err(format!("must not have a fragment: `{url}`"));
    }
    Ok(())
}

/// Keys and discovery documents decide which tokens are trusted, so they are fetched over
/// TLS; plain `http://` is accepted only for a loopback host (local development and tests).
pub(crate) fn check_transport_security(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "must use https (`{url}` would fetch signing keys in clear text; plain http is only accepted for a loopback host)"
        ))
    }
}

/// `file://` paths are resolved against the policy file's directory.
pub(crate) fn resolve_jwks(jwks: &str, base_dir: &std::path::Path) -> Result<String, String> {
    check_url(jwks, true)
        .map_err(|_| format!("must be an http(s) URL or a `file://` path, not `{jwks}`"))?;
    check_transport_security(jwks)?;
    match jwks.strip_prefix("file://") {
        Some("") => Err("`file://` needs a path".to_owned()),
        Some(path) => {
            let p = std::path::Path::new(path);
            let full = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            };
            Ok(format!("file://{}", full.display()))
        }
        None => Ok(jwks.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_durations_parse() {
        let five = parse_rate_limit("5/minute").unwrap().unwrap();
        assert_eq!((five.calls.get(), five.per), (5, Duration::from_secs(60)));
        assert_eq!(five.to_string(), "5/minute");
        assert_eq!(parse_rate_limit("none"), Ok(None));
        for bad in ["0/minute", "5", "5/day", "x/second", "5 per minute"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn interpolation_expands_defaults_and_refuses_the_unset() {
        let vars = |v: &str| (v == "SET").then(|| "value".to_owned());
        assert_eq!(interpolate("a${SET}b", &vars).unwrap(), "avalueb");
        assert_eq!(
            interpolate("${UNSET:-http://x:1/y}", &vars).unwrap(),
            "http://x:1/y"
        );
        assert_eq!(interpolate("$${SET}", &vars).unwrap(), "${SET}");
        assert_eq!(
            interpolate("${UNSET}", &vars),
            Err(InterpolationError::Unset("UNSET".into()))
        );
        assert!(matches!(
            interpolate("${SET", &vars),
            Err(InterpolationError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("$SET", &vars),
            Err(InterpolationError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("${A B}", &vars),
            Err(InterpolationError::Syntax(_))
        ));
    }
}
