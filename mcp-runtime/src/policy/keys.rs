//! Unknown keys: every key of the file that no table accepts, with the keys it does accept
//! and the closest one.

use super::diagnostic::{Diagnostic, Source, did_you_mean};

/// The keys each table of the file accepts.
#[derive(Clone, Copy)]
enum Shape {
    /// A table with these keys.
    Table(&'static [(&'static str, Shape)]),
    /// A table whose keys are names (tools, environments) and whose values have this shape.
    Named(&'static Shape),
    /// Anything (checked by serde).
    Any,
}

const TOOL_RULE: Shape = Shape::Table(&[
    ("enabled", Shape::Any),
    ("require_scopes", Shape::Any),
    ("require_claims", Shape::Any),
    ("rate_limit", Shape::Any),
]);
const ENV: Shape = Shape::Table(&[
    ("extends", Shape::Any),
    ("transport", Shape::Any),
    ("bind", Shape::Any),
    ("resource", Shape::Any),
    ("list", Shape::Any),
    (
        "auth",
        Shape::Table(&[
            ("issuer", Shape::Any),
            ("audience", Shape::Any),
            ("jwks", Shape::Any),
            ("algorithms", Shape::Any),
            ("leeway", Shape::Any),
            ("authorization_servers", Shape::Any),
        ]),
    ),
    (
        "principal",
        Shape::Table(&[
            ("sub", Shape::Any),
            ("scopes", Shape::Any),
            ("claims", Shape::Any),
        ]),
    ),
    ("token_env", Shape::Any),
    ("tools", Shape::Named(&TOOL_RULE)),
]);
const ROOT: Shape = Shape::Table(&[
    ("server", Shape::Table(&[("name", Shape::Any)])),
    (
        "scopes",
        Shape::Table(&[("implies", Shape::Any), ("extra", Shape::Any)]),
    ),
    (
        "grants",
        Shape::Table(&[
            ("scope", Shape::Any),
            ("role", Shape::Any),
            ("roles_claim", Shape::Any),
        ]),
    ),
    ("tools", Shape::Named(&TOOL_RULE)),
    ("defaults", ENV),
    ("env", Shape::Named(&ENV)),
]);

/// Every key of the file that no table accepts, with the closest accepted key.
pub(super) fn unknown_keys(source: &Source) -> Vec<Diagnostic> {
    fn walk(
        source: &Source,
        table: &toml::de::DeTable<'_>,
        shape: Shape,
        path: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        for (key, value) in table {
            let name: &str = key.get_ref();
            let inner = match shape {
                Shape::Any => return,
                Shape::Named(inner) => Some(*inner),
                Shape::Table(keys) => match keys.iter().find(|(k, _)| *k == name) {
                    Some((_, s)) => Some(*s),
                    None => {
                        let mut d = source.diag(
                            key.span(),
                            format!(
                                "unknown key `{name}` in `{}`; expected one of: {}",
                                if path.is_empty() {
                                    "the top level"
                                } else {
                                    path
                                },
                                keys.iter()
                                    .map(|(k, _)| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        d.help = did_you_mean(name, keys.iter().map(|(k, _)| *k));
                        out.push(d);
                        None
                    }
                },
            };
            if let (Some(inner), Some(sub)) = (inner, value.get_ref().as_table()) {
                let sub_path = if path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                };
                walk(source, sub, inner, &sub_path, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(root) = toml::de::DeTable::parse(&source.text) {
        walk(source, root.get_ref(), ROOT, "", &mut out);
    }
    out
}
