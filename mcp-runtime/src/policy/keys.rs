//! Unknown keys: every key of the file that no table accepts, with the keys it does accept
//! and the closest one. Which keys a table accepts is read from the serde model
//! ([`super::schema`]), so this check and the model cannot disagree.

use super::diagnostic::{Diagnostic, Source, did_you_mean};
use super::model::PolicyFile;
use super::schema::{Table, tables_of};
use std::sync::OnceLock;

/// The tables of [`PolicyFile`], read once.
fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(tables_of::<PolicyFile>)
}

/// Every key of the file that no table accepts, with the closest accepted key.
pub(super) fn unknown_keys(source: &Source) -> Vec<Diagnostic> {
    fn walk<'t>(
        source: &Source,
        table: &'t toml::de::DeTable<'_>,
        path: &mut Vec<&'t str>,
        out: &mut Vec<Diagnostic>,
    ) {
        let accepts = tables().iter().find(|t| t.is_at(path)).map(|t| t.fields);
        for (key, value) in table {
            let name: &str = key.get_ref();
            if let Some(fields) = accepts
                && !fields.contains(&name)
            {
                let mut d = source.diag(
                    key.span(),
                    format!(
                        "unknown key `{name}` in `{}`; expected one of: {}",
                        if path.is_empty() {
                            "the top level".to_owned()
                        } else {
                            path.join(".")
                        },
                        fields
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                d.help = did_you_mean(name, fields.iter().copied());
                out.push(d);
                continue;
            }
            if let Some(sub) = value.get_ref().as_table() {
                path.push(name);
                walk(source, sub, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(root) = toml::de::DeTable::parse(&source.text) {
        walk(source, root.get_ref(), &mut Vec::new(), &mut out);
    }
    out
}
