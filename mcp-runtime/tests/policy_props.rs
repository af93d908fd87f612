//! Property tests: a policy can only tighten what the code declares. Whatever the grants,
//! hierarchy, per-tool rules and environment overlays, a call is allowed only when the
//! caller's effective scopes (the same grants and hierarchy, computed naively here) cover
//! every scope the tool declares.

use mcp_runtime::authz::{Catalog, CatalogEntry, Primitive};
use mcp_runtime::policy::{Policy, Source};
use mcp_runtime::{Access, Caller};
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

const SCOPES: usize = 6;
const IDP_SCOPES: usize = 3;
const ROLES: usize = 2;
const TOOLS: usize = 4;

fn scope(i: usize) -> String {
    format!("app:s{i}")
}

#[derive(Clone, Debug)]
struct Rule {
    enabled: Option<bool>,
    require: BTreeSet<usize>,
    tenant: Option<Vec<&'static str>>,
}

#[derive(Clone, Debug)]
struct Case {
    declared: Vec<BTreeSet<usize>>,
    implies: Vec<(usize, usize)>,
    grants: Vec<BTreeSet<usize>>,
    roles: Vec<BTreeSet<usize>>,
    base_rules: Vec<Option<Rule>>,
    env_rules: Vec<Option<Rule>>,
    token_scopes: BTreeSet<usize>,
    caller_roles: BTreeSet<usize>,
    tenant: Option<&'static str>,
}

fn subset(max: usize) -> impl Strategy<Value = BTreeSet<usize>> {
    prop::collection::btree_set(0..max, 0..=3)
}

fn rule() -> impl Strategy<Value = Option<Rule>> {
    prop::option::of(
        (
            prop::option::of(any::<bool>()),
            subset(SCOPES),
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec!["a", "b", "c"]),
                1..3,
            )),
        )
            .prop_map(|(enabled, require, tenant)| Rule {
                enabled,
                require,
                tenant,
            }),
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(subset(SCOPES), TOOLS),
        prop::collection::vec((0..SCOPES, 0..SCOPES), 0..8),
        prop::collection::vec(subset(SCOPES), IDP_SCOPES),
        prop::collection::vec(subset(SCOPES), ROLES),
        prop::collection::vec(rule(), TOOLS),
        prop::collection::vec(rule(), TOOLS),
        subset(SCOPES + IDP_SCOPES),
        subset(ROLES),
        prop::option::of(prop::sample::select(vec!["a", "b"])),
    )
        .prop_map(
            |(
                declared,
                implies,
                grants,
                roles,
                base_rules,
                env_rules,
                token_scopes,
                caller_roles,
                tenant,
            )| Case {
                declared,
                implies,
                grants,
                roles,
                base_rules,
                env_rules,
                token_scopes,
                caller_roles,
                tenant,
            },
        )
}

fn list(set: &BTreeSet<usize>) -> String {
    let items: Vec<String> = set.iter().map(|&i| format!("\"{}\"", scope(i))).collect();
    format!("[{}]", items.join(", "))
}

fn write_rule(out: &mut String, header: &str, rule: &Rule) {
    writeln!(out, "[{header}]").unwrap();
    if let Some(e) = rule.enabled {
        writeln!(out, "enabled = {e}").unwrap();
    }
    writeln!(out, "require_scopes = {}", list(&rule.require)).unwrap();
    if let Some(t) = &rule.tenant {
        let values: Vec<String> = t.iter().map(|v| format!("\"{v}\"")).collect();
        writeln!(
            out,
            "require_claims = {{ tenant = [{}] }}",
            values.join(", ")
        )
        .unwrap();
    }
}

impl Case {
    fn catalog(&self) -> Arc<Catalog> {
        Arc::new(Catalog {
            server_name: "props".into(),
            entries: self
                .declared
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let access = if d.is_empty() {
                        Access::Public
                    } else {
                        Access::Scopes(d.iter().map(|&s| scope(s)).collect())
                    };
                    CatalogEntry {
                        kind: Primitive::Tool,
                        name: format!("t{i}"),
                        access,
                    }
                })
                .collect(),
            ..Default::default()
        })
    }

    fn toml(&self, with_rules: bool) -> String {
        let mut out = String::new();
        let all: BTreeSet<usize> = (0..SCOPES).collect();
        writeln!(out, "[scopes]\nextra = {}", list(&all)).unwrap();
        writeln!(out, "[scopes.implies]").unwrap();
        for a in 0..SCOPES {
            let narrower: BTreeSet<usize> = self
                .implies
                .iter()
                .filter(|(x, _)| *x == a)
                .map(|(_, b)| *b)
                .collect();
            if !narrower.is_empty() {
                writeln!(out, "\"{}\" = {}", scope(a), list(&narrower)).unwrap();
            }
        }
        writeln!(out, "[grants.scope]").unwrap();
        for (g, set) in self.grants.iter().enumerate() {
            writeln!(out, "\"idp:g{g}\" = {}", list(set)).unwrap();
        }
        writeln!(out, "[grants.role]").unwrap();
        for (r, set) in self.roles.iter().enumerate() {
            writeln!(out, "\"role{r}\" = {}", list(set)).unwrap();
        }
        writeln!(
            out,
            "[env.e]\ntransport = \"stdio\"\nprincipal = {{ scopes = [] }}"
        )
        .unwrap();
        if with_rules {
            for (t, r) in self.env_rules.iter().enumerate() {
                if let Some(r) = r {
                    write_rule(&mut out, &format!("env.e.tools.t{t}"), r);
                }
            }
            for (t, r) in self.base_rules.iter().enumerate() {
                if let Some(r) = r {
                    write_rule(&mut out, &format!("tools.t{t}"), r);
                }
            }
        }
        out
    }

    fn caller(&self) -> Caller {
        let scopes: Vec<String> = self
            .token_scopes
            .iter()
            .map(|&i| {
                if i < SCOPES {
                    scope(i)
                } else {
                    format!("idp:g{}", i - SCOPES)
                }
            })
            .collect();
        let roles: Vec<String> = self
            .caller_roles
            .iter()
            .map(|r| format!("role{r}"))
            .collect();
        let mut claims = json!({ "roles": roles });
        if let Some(t) = self.tenant {
            claims["tenant"] = json!(t);
        }
        Caller::from_token("s", None, scopes, claims.as_object().unwrap().clone())
    }

    /// Effective scopes, computed the obvious way.
    fn reference_effective(&self) -> BTreeSet<usize> {
        let mut set: BTreeSet<usize> = BTreeSet::new();
        for &i in &self.token_scopes {
            if i < SCOPES {
                set.insert(i);
            } else {
                set.extend(&self.grants[i - SCOPES]);
            }
        }
        for &r in &self.caller_roles {
            set.extend(&self.roles[r]);
        }
        loop {
            let before = set.len();
            for &(a, b) in &self.implies {
                if set.contains(&a) {
                    set.insert(b);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }
}

fn compile(case: &Case, with_rules: bool) -> mcp_runtime::policy::Engine {
    let policy = Policy::parse(
        Source {
            name: "props.toml".into(),
            text: case.toml(with_rules),
            base_dir: ".".into(),
        },
        case.catalog(),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", case.toml(with_rules)));
    policy.compile("e", &|_| None).expect("compiles")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_policy_allows_what_the_declared_scopes_refuse(case in case()) {
        let engine = compile(&case, true);
        let caller = case.caller();
        let effective = engine.effective_scopes(&caller);
        let reference = case.reference_effective();
        let names: BTreeSet<String> = engine.scope_names(effective).into_iter().map(str::to_owned).collect();
        let expected: BTreeSet<String> = reference.iter().map(|&i| scope(i)).collect();
        prop_assert_eq!(names, expected, "effective scopes");
        for (t, declared) in case.declared.iter().enumerate() {
            let allowed = engine.decide(&caller, effective, &format!("t{t}")).is_allowed();
            if allowed {
                prop_assert!(declared.is_subset(&reference), "t{} allowed without its declared scopes", t);
            }
        }
    }

    #[test]
    fn without_rules_the_declared_scopes_decide_exactly(case in case()) {
        let plain = compile(&case, false);
        let ruled = compile(&case, true);
        let caller = case.caller();
        let reference = case.reference_effective();
        for (t, declared) in case.declared.iter().enumerate() {
            let name = format!("t{t}");
            let baseline = plain.decide(&caller, plain.effective_scopes(&caller), &name).is_allowed();
            prop_assert_eq!(baseline, declared.is_subset(&reference));
            let tightened = ruled.decide(&caller, ruled.effective_scopes(&caller), &name).is_allowed();
            prop_assert!(!tightened || baseline, "rules loosened t{}", t);
        }
    }
}
