//! The runtime's modules depend on each other one way: transport -> protocol -> error ->
//! policy -> authorization -> registry -> handler context -> wire types. This test reads the
//! sources and fails when a module reaches up (or sideways into a cycle), naming the file and
//! the path that does it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer: a module may use only modules of a lower
/// layer. A new module must be placed here.
const LAYERS: &[(&str, u8)] = &[
    ("asking", 0),
    ("changes", 0),
    ("jsonrpc", 0),
    ("metrics", 0),
    ("telemetry", 0),
    ("uri_template", 0),
    ("store", 0),
    ("content", 1),
    ("context", 1),
    ("credentials", 1),
    ("extract", 2),
    ("registry", 2),
    ("authz", 3),
    ("auth", 4),
    ("policy", 5),
    ("audit", 5),
    ("error", 6),
    ("protocol", 7),
    ("transport", 8),
    ("cli", 9),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its unit tests and comments (doc links are not dependencies).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named in `crate::module` paths and `use crate::{module, …}` groups.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first path segment of each item at the group's top level.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        let name: String = group[i..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        used.insert(name);
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            used.insert(name);
        }
    }
    used
}

#[test]
fn modules_depend_on_lower_layers_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src/");
        let first = rel.components().next().expect("a path");
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs");
        if module == "lib" {
            continue;
        }
        let Some(&layer) = layers.get(module) else {
            violations.push(format!(
                "{}: module `{module}` has no layer in LAYERS",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for used in used_modules(&code(&text)) {
            // Items re-exported at the crate root (e.g. `crate::Caller`) name no module.
            let Some(&target) = layers.get(used.as_str()) else {
                continue;
            };
            checked += 1;
            if used != module && target >= layer {
                violations.push(format!(
                    "{}: `{module}` (layer {layer}) uses `crate::{used}` (layer {target})",
                    rel.display()
                ));
            }
        }
    }
    assert!(checked > 30, "only {checked} module uses were seen");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_use_scanner_sees_groups_and_paths() {
    let used = used_modules(
        "use crate::{authz::{Target, Refusal}, error};\nlet x = crate::policy::load();",
    );
    let used: Vec<&str> = used.iter().map(String::as_str).collect();
    assert_eq!(used, ["authz", "error", "policy"]);
    assert_eq!(code("a\n// crate::protocol\n#[cfg(test)]\nmod t;"), "a");
}
