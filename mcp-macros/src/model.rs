//! The validated model of one tool. Code generation reads only this, never raw `syn`.
//!
//! Checks that involve several keys, or the attribute and the signature together, happen
//! here: `scopes` versus `public`, the name rules, the description, `async`, generics, the
//! receiver, and each parameter's role.

use crate::attr::{self, ToolAttr};
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use quote::ToTokens as _;
use syn::{FnArg, LitStr, Pat, Signature, Type};

/// The longest tool name the runtime accepts.
const MAX_TOOL_NAME_LEN: usize = 64;

/// Who may call the tool, as declared.
pub(crate) enum Access {
    Public,
    Scopes(Vec<LitStr>),
}

/// One tool, validated.
pub(crate) struct ToolDef {
    pub(crate) name: String,
    /// Where the name came from (the `name = "..."` literal or the function's name).
    pub(crate) name_span: Span,
    pub(crate) description: String,
    pub(crate) title: Option<String>,
    pub(crate) access: Access,
    /// `(builder method, value)` for each hint given.
    pub(crate) hints: Vec<(&'static str, bool)>,
    pub(crate) receiver: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Type,
}

/// One parameter of the handler.
pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
}

/// How a parameter gets its value.
pub(crate) enum ParamKind {
    /// Injected from the tool context; not in the schema.
    Context,
    /// One property of the arguments object.
    Arg {
        name: String,
        description: Option<String>,
    },
    /// The whole arguments object.
    Flatten,
}

/// Where the tool is declared, which decides what the receiver may be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A free function (`#[tool]` directly).
    Free,
    /// A method inside `#[tools] impl`.
    Method,
}

/// Checks `attr` against the signature and doc comment; `None` when anything is wrong (the
/// errors are in `cx`).
pub(crate) fn tool_def(
    cx: &Ctxt,
    attr: &ToolAttr,
    attr_span: Span,
    sig: &Signature,
    docs: &[syn::Attribute],
    site: Site,
) -> Option<ToolDef> {
    let errors_before = cx.has_errors();
    let fn_name = sig.ident.to_string();
    let fn_name = fn_name.strip_prefix("r#").unwrap_or(&fn_name).to_owned();

    // name: `name = "..."`, else the function's name.
    let (name, name_span) = match &attr.name {
        Some(n) => (n.value.value(), n.value.span()),
        None => (fn_name, sig.ident.span()),
    };
    if let Err(why) = check_tool_name(&name) {
        let fix = if attr.name.is_some() {
            "change `name`"
        } else {
            "rename the function or set `name = \"...\"`"
        };
        cx.error_at(
            name_span,
            format!("invalid tool name `{name}`: {why}; {fix}"),
        );
    }

    // description: `description = "..."`, else the doc comment.
    let description = match &attr.description {
        Some(d) => {
            let text = d.value.value().trim().to_owned();
            if text.is_empty() {
                cx.error_spanned_by(
                    &d.value,
                    "the description is empty; say what the tool does, for the model that calls it",
                );
            }
            text
        }
        None => {
            let text = doc_text(docs);
            if text.is_empty() {
                cx.error_at(
                    sig.ident.span(),
                    format!(
                        "tool `{name}` has no description; add a doc comment (`/// Looks up ...`) or `description = \"...\"`"
                    ),
                );
            }
            text
        }
    };

    // access: exactly one of `scopes` and `public`.
    let access = match (&attr.scopes, &attr.public) {
        (Some(scopes), None) => Access::Scopes(scopes.value.clone()),
        (None, Some(_)) => Access::Public,
        (Some(_), Some(public)) => {
            cx.error_at(
                attr.access_conflict.unwrap_or(public.key),
                "a tool is either `public` or requires `scopes`, not both; remove one of them",
            );
            Access::Public
        }
        (None, None) if attr.malformed => Access::Public,
        (None, None) => {
            cx.error_at(
                attr_span,
                format!(
                    "tool `{name}` declares no access; add `scopes = [\"...\"]` with the scopes it requires, or `public` if anyone may call it"
                ),
            );
            Access::Public
        }
    };

    let mut hints = Vec::new();
    for (key, slot) in [
        ("read_only", &attr.read_only),
        ("destructive", &attr.destructive),
        ("idempotent", &attr.idempotent),
        ("open_world", &attr.open_world),
    ] {
        if let Some(v) = slot {
            hints.push((key, v.value));
        }
    }
    if let (Some(ro), Some(d)) = (&attr.read_only, &attr.destructive)
        && ro.value
        && d.value
    {
        cx.error_at(
            d.key,
            "a `read_only` tool cannot be `destructive`; remove one of the two hints",
        );
    }

    // The signature.
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "`#[tool]` functions must be `async`; write `async fn {}`",
                sig.ident
            ),
        );
    }
    if let Some(c) = &sig.constness {
        cx.error_spanned_by(c, "a tool cannot be a `const fn`; remove `const`");
    }
    if let Some(u) = &sig.unsafety {
        cx.error_spanned_by(
            u,
            "a tool cannot be an `unsafe fn`; remove `unsafe` and uphold the invariants inside",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "a tool cannot have an `extern` ABI; remove it");
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, "a tool cannot be variadic");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span_of: &dyn quote::ToTokens = if sig.generics.params.is_empty() {
            &sig.generics.where_clause
        } else {
            &sig.generics
        };
        cx.error_spanned_by(
            span_of,
            "a tool cannot be generic: its schema is fixed when the server starts; use concrete types",
        );
    }

    let mut receiver = false;
    let mut params = Vec::new();
    let mut context_seen: Vec<(String, String)> = Vec::new();
    let mut arg_seen: Vec<String> = Vec::new();
    let mut flatten_seen = false;
    for input in &sig.inputs {
        let pat_ty = match input {
            FnArg::Receiver(r) => {
                check_receiver(cx, r, site);
                receiver = true;
                continue;
            }
            FnArg::Typed(p) => p,
        };
        let arg = attr::parse_arg_attrs(cx, &pat_ty.attrs);
        let ty = (*pat_ty.ty).clone();
        if let Type::ImplTrait(_) = ty {
            cx.error_spanned_by(
                &ty,
                "`impl Trait` parameters are not supported by `#[tool]`; use a concrete type",
            );
            continue;
        }
        let is_context = match &arg.context {
            Some(c) => c.value,
            None => is_context_type(&ty),
        };
        if is_context {
            if let Some(d) = &arg.description {
                cx.error_at(
                    d.key,
                    "a context parameter is not part of the input schema, so it takes no `description`; remove it",
                );
            }
            if let Some(f) = &arg.flatten {
                cx.error_at(
                    f.key,
                    "a context parameter cannot be `flatten`; remove one of the two",
                );
            }
            let key = type_key(&ty);
            let binding = pat_ty.pat.to_token_stream().to_string();
            if let Some((_, first)) = context_seen.iter().find(|(k, _)| *k == key) {
                cx.error_spanned_by(
                    &ty,
                    format!(
                        "`{key}` is already injected as `{first}`; take each context parameter once"
                    ),
                );
            } else {
                context_seen.push((key, binding));
            }
            params.push(Param {
                ty,
                kind: ParamKind::Context,
            });
            continue;
        }
        if arg.flatten.is_some() {
            if let Some(d) = &arg.description {
                cx.error_at(
                    d.key,
                    "a `flatten` parameter is the whole argument object; document its fields instead of `description`",
                );
            }
            if flatten_seen || !arg_seen.is_empty() {
                cx.error_spanned_by(
                    &pat_ty.pat,
                    "a `flatten` parameter must be the tool's only argument parameter; move the other arguments into its struct",
                );
            }
            flatten_seen = true;
            params.push(Param {
                ty,
                kind: ParamKind::Flatten,
            });
            continue;
        }
        if flatten_seen {
            cx.error_spanned_by(
                &pat_ty.pat,
                "this tool already takes its whole argument object through a `flatten` parameter; move this argument into that struct",
            );
        }
        let name = match (&arg.rename, &*pat_ty.pat) {
            (Some(r), _) => Some(r.value.value()),
            (None, Pat::Ident(p)) if p.subpat.is_none() => {
                let s = p.ident.to_string();
                Some(s.strip_prefix("r#").unwrap_or(&s).to_owned())
            }
            (None, other) => {
                cx.error_spanned_by(
                    other,
                    "an argument needs a name: write `name: Type`, or add `#[arg(rename = \"name\")]`",
                );
                None
            }
        };
        let Some(name) = name else { continue };
        if arg_seen.contains(&name) {
            cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "two arguments are named `{name}`; rename one with `#[arg(rename = \"...\")]`"
                ),
            );
        }
        arg_seen.push(name.clone());
        let doc = doc_text(&pat_ty.attrs);
        let description = match (arg.description, doc.is_empty()) {
            (Some(d), true) => Some(d.value.value()),
            (None, false) => Some(doc),
            (None, true) => None,
            (Some(d), false) => {
                cx.error_at(
                    d.key,
                    "this argument has both a doc comment and a `description`; keep one of them",
                );
                None
            }
        };
        params.push(Param {
            ty,
            kind: ParamKind::Arg { name, description },
        });
    }

    let output = match &sig.output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(_) = **ty {
                cx.error_spanned_by(
                    ty,
                    "a tool cannot return `impl Trait`; name the type (e.g. `Result<Json<T>, ToolError>`)",
                );
            }
            (**ty).clone()
        }
    };

    if cx.has_errors() || errors_before {
        return None;
    }
    Some(ToolDef {
        name,
        name_span,
        description,
        title: attr.title.as_ref().map(|t| t.value.value()),
        access,
        hints,
        receiver,
        params,
        output,
    })
}

fn check_receiver(cx: &Ctxt, r: &syn::Receiver, site: Site) {
    if site == Site::Free {
        cx.error_spanned_by(
            r.self_token,
            "`#[tool]` on a method needs `#[tools]` on its `impl` block",
        );
        return;
    }
    let fix = "take `&self` (keep mutable state behind a lock inside the service)";
    if r.colon_token.is_some() {
        cx.error_spanned_by(
            &r.ty,
            format!(
                "tool methods cannot take `self: {}`; {fix}",
                r.ty.to_token_stream()
            ),
        );
    } else if r.reference.is_none() {
        cx.error_spanned_by(
            r.self_token,
            format!("a tool method cannot take `self` by value: the service is shared by every call; {fix}"),
        );
    } else if let Some(m) = &r.mutability {
        cx.error_spanned_by(
            m,
            format!("a tool method cannot take `&mut self`: calls run concurrently; {fix}"),
        );
    }
}

/// References, `ToolContext`, `Caller` and `State<T>` (by the last path segment) are
/// injected; everything else is an argument. `#[arg(context)]` and `#[arg(context = false)]`
/// override this.
fn is_context_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(p) => is_context_type(&p.elem),
        Type::Group(g) => is_context_type(&g.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "ToolContext" | "Caller" | "State"
            )
        }),
        _ => false,
    }
}

/// A type written without lifetimes, to compare context parameters.
fn type_key(ty: &Type) -> String {
    let mut ty = ty.clone();
    strip_lifetimes(&mut ty);
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
}

fn strip_lifetimes(ty: &mut Type) {
    if let Type::Reference(r) = ty {
        r.lifetime = None;
        strip_lifetimes(&mut r.elem);
    }
}

/// The doc comment as one string: one leading space per line removed, outer blank lines
/// trimmed. Only literal `#[doc = "..."]` attributes count.
fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect();
    lines.join("\n").trim().to_owned()
}

/// The MCP tool-name rules (as the runtime's `validate_tool_name`).
fn check_tool_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a tool name must not be empty".to_owned());
    }
    if name.len() > MAX_TOOL_NAME_LEN {
        return Err(format!(
            "{} characters, at most {MAX_TOOL_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed; use only `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn def(
        attr: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> Result<ToolDef, String> {
        let cx = Ctxt::new();
        let a = attr::parse_tool_attr(&cx, attr);
        let f: syn::ItemFn = syn::parse2(item).unwrap();
        let d = tool_def(&cx, &a, Span::call_site(), &f.sig, &f.attrs, Site::Free);
        match cx.check() {
            Ok(()) => Ok(d.unwrap()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn classifies_parameters() {
        let d = def(
            quote!(scopes = ["s"]),
            quote! {
                /// Does it.
                async fn f(ctx: &ToolContext, #[arg(description = "the id")] id: String, s: State<u8>, n: Option<u32>) {}
            },
        )
        .unwrap();
        assert_eq!(d.name, "f");
        assert_eq!(d.description, "Does it.");
        let kinds: Vec<String> = d
            .params
            .iter()
            .map(|p| match &p.kind {
                ParamKind::Context => "ctx".to_owned(),
                ParamKind::Arg { name, description } => format!("{name}:{description:?}"),
                ParamKind::Flatten => "flat".to_owned(),
            })
            .collect();
        assert_eq!(kinds, ["ctx", "id:Some(\"the id\")", "ctx", "n:None"]);
    }

    #[test]
    fn doc_lines_are_joined() {
        let d = def(
            quote!(public),
            quote! {
                ///  Line one.
                ///
                /// Line two.
                async fn f() {}
            },
        )
        .unwrap();
        assert_eq!(d.description, " Line one.\n\nLine two.".trim());
    }

    #[test]
    fn names_follow_the_rules() {
        assert!(check_tool_name("a.b-c_d9").is_ok());
        assert!(check_tool_name("a b").is_err());
        assert!(check_tool_name(&"x".repeat(65)).is_err());
        let err = def(
            quote!(public, name = "has space"),
            quote!(
                /// d
                async fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.contains("invalid tool name `has space`"), "{err}");
    }
}
