//! Validation shared by `#[tool]`, `#[prompt]` and `#[resource]`: the name, the description
//! (or doc comment), `scopes` versus `public`, the shape of the function (async, not generic,
//! ...), the receiver, and how a parameter is named or injected from the context.
//!
//! Each macro's model (`tool_model.rs`, `prompt_model.rs`, `resource_model.rs`) calls these
//! in the same order, so the same mistake gives the same message, adapted to the item.

use crate::attr::{ArgAttr, CommonAttr};
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use quote::ToTokens as _;
use syn::{LitStr, Pat, PatType, Signature, Type};

/// Who may use the item, as declared.
pub(crate) enum Access {
    Public,
    Scopes(Vec<LitStr>),
}

/// What a macro declares, for the wording of its messages.
pub(crate) struct Kind {
    /// `tool`, `prompt`, `resource`.
    pub(crate) noun: &'static str,
    /// `#[tool]`, ...
    pub(crate) attr: &'static str,
    /// What a caller does with it: `call`, `get`, `read`.
    pub(crate) verb: &'static str,
    /// How to fix an empty description.
    pub(crate) purpose: &'static str,
    /// What is fixed when the server starts (why it cannot be generic).
    pub(crate) fixed: &'static str,
    /// What to write instead of an `impl Trait` parameter.
    pub(crate) param_hint: &'static str,
}

pub(crate) const TOOL: Kind = Kind {
    noun: "tool",
    attr: "#[tool]",
    verb: "call",
    purpose: "say what the tool does, for the model that calls it",
    fixed: "its schema",
    param_hint: "use a concrete type",
};

pub(crate) const PROMPT: Kind = Kind {
    noun: "prompt",
    attr: "#[prompt]",
    verb: "get",
    purpose: "say what the prompt is for, for the user who picks it",
    fixed: "its argument list",
    param_hint: "use `String` or `Option<String>`",
};

pub(crate) const RESOURCE: Kind = Kind {
    noun: "resource",
    attr: "#[resource]",
    verb: "read",
    purpose: "say what the resource holds, for the client that lists it",
    fixed: "its definition",
    param_hint: "use `String`",
};

/// One parameter of the handler.
pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
}

/// How a parameter gets its value.
pub(crate) enum ParamKind {
    /// Injected from the request context.
    Context,
    /// One argument the client supplies (a tool's `inputSchema` property, a prompt argument).
    Arg {
        name: String,
        description: Option<String>,
    },
    /// The whole arguments object of a tool.
    Flatten,
    /// One variable of a resource template's URI.
    Var { name: String },
}

/// Where the item is declared, which decides what the receiver may be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A free function (`#[tool]` directly).
    Free,
    /// A method inside `#[tools] impl`.
    Method,
}

/// The function's name without `r#`.
pub(crate) fn fn_name(sig: &Signature) -> String {
    let name = sig.ident.to_string();
    name.strip_prefix("r#").unwrap_or(&name).to_owned()
}

/// `name = "..."`, else the function's name, checked with `rules`.
pub(crate) fn resolve_name(
    cx: &Ctxt,
    kind: &Kind,
    attr: &CommonAttr,
    sig: &Signature,
    rules: fn(&str) -> Result<(), String>,
) -> (String, Span) {
    let (name, name_span) = match &attr.name {
        Some(n) => (n.value.value(), n.value.span()),
        None => (fn_name(sig), sig.ident.span()),
    };
    if let Err(why) = rules(&name) {
        let fix = if attr.name.is_some() {
            "change `name`"
        } else {
            "rename the function or set `name = \"...\"`"
        };
        cx.error_at(
            name_span,
            format!("invalid {} name `{name}`: {why}; {fix}", kind.noun),
        );
    }
    (name, name_span)
}

/// `description = "..."`, else the doc comment; one of them is required.
pub(crate) fn resolve_description(
    cx: &Ctxt,
    kind: &Kind,
    attr: &CommonAttr,
    docs: &[syn::Attribute],
    sig: &Signature,
    name: &str,
) -> String {
    match &attr.description {
        Some(d) => {
            let text = d.value.value().trim().to_owned();
            if text.is_empty() {
                cx.error_spanned_by(
                    &d.value,
                    format!("the description is empty; {}", kind.purpose),
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
                        "{} `{name}` has no description; add a doc comment (`/// Looks up ...`) or `description = \"...\"`",
                        kind.noun
                    ),
                );
            }
            text
        }
    }
}

/// Exactly one of `scopes` and `public`.
pub(crate) fn resolve_access(
    cx: &Ctxt,
    kind: &Kind,
    attr: &CommonAttr,
    attr_span: Span,
    name: &str,
) -> Access {
    match (&attr.scopes, &attr.public) {
        (Some(scopes), None) => Access::Scopes(scopes.value.clone()),
        (None, Some(_)) => Access::Public,
        (Some(_), Some(public)) => {
            cx.error_at(
                attr.access_conflict.unwrap_or(public.key),
                format!(
                    "a {} is either `public` or requires `scopes`, not both; remove one of them",
                    kind.noun
                ),
            );
            Access::Public
        }
        (None, None) if attr.malformed => Access::Public,
        (None, None) => {
            cx.error_at(
                attr_span,
                format!(
                    "{} `{name}` declares no access; add `scopes = [\"...\"]` with the scopes it requires, or `public` if anyone may {} it",
                    kind.noun, kind.verb
                ),
            );
            Access::Public
        }
    }
}

/// `async`, not `const`, `unsafe`, `extern`, variadic or generic.
pub(crate) fn check_fn_shape(cx: &Ctxt, kind: &Kind, sig: &Signature) {
    let noun = kind.noun;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "`{}` functions must be `async`; write `async fn {}`",
                kind.attr, sig.ident
            ),
        );
    }
    if let Some(c) = &sig.constness {
        cx.error_spanned_by(
            c,
            format!("a {noun} cannot be a `const fn`; remove `const`"),
        );
    }
    if let Some(u) = &sig.unsafety {
        cx.error_spanned_by(
            u,
            format!(
                "a {noun} cannot be an `unsafe fn`; remove `unsafe` and uphold the invariants inside"
            ),
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(
            abi,
            format!("a {noun} cannot have an `extern` ABI; remove it"),
        );
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, format!("a {noun} cannot be variadic"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span_of: &dyn quote::ToTokens = if sig.generics.params.is_empty() {
            &sig.generics.where_clause
        } else {
            &sig.generics
        };
        cx.error_spanned_by(
            span_of,
            format!(
                "a {noun} cannot be generic: {} is fixed when the server starts; use concrete types",
                kind.fixed
            ),
        );
    }
}

/// A method takes `&self`; a free function takes no receiver at all.
/// A typed parameter of a handler with its `#[arg]` attributes, after the checks every kind
/// makes first: a receiver is checked and noted in `receiver`, an `impl Trait` parameter is
/// refused; both yield `None`.
pub(crate) fn typed_param<'a>(
    cx: &Ctxt,
    kind: &Kind,
    input: &'a syn::FnArg,
    site: Site,
    receiver: &mut bool,
) -> Option<(&'a PatType, ArgAttr, Type)> {
    let pat_ty = match input {
        syn::FnArg::Receiver(r) => {
            check_receiver(cx, kind, r, site);
            *receiver = true;
            return None;
        }
        syn::FnArg::Typed(p) => p,
    };
    let arg = crate::attr::parse_arg_attrs(cx, &pat_ty.attrs);
    let ty = (*pat_ty.ty).clone();
    if let Type::ImplTrait(_) = ty {
        cx.error_spanned_by(
            &ty,
            format!(
                "`impl Trait` parameters are not supported by `{}`; {}",
                kind.attr, kind.param_hint
            ),
        );
        return None;
    }
    Some((pat_ty, arg, ty))
}

pub(crate) fn check_receiver(cx: &Ctxt, kind: &Kind, r: &syn::Receiver, site: Site) {
    if site == Site::Free {
        cx.error_spanned_by(
            r.self_token,
            format!(
                "`{}` on a method needs `#[tools]` on its `impl` block",
                kind.attr
            ),
        );
        return;
    }
    let noun = kind.noun;
    let fix = "take `&self` (keep mutable state behind a lock inside the service)";
    if r.colon_token.is_some() {
        cx.error_spanned_by(
            &r.ty,
            format!(
                "{noun} methods cannot take `self: {}`; {fix}",
                r.ty.to_token_stream()
            ),
        );
    } else if r.reference.is_none() {
        cx.error_spanned_by(
            r.self_token,
            format!("a {noun} method cannot take `self` by value: the service is shared by every call; {fix}"),
        );
    } else if let Some(m) = &r.mutability {
        cx.error_spanned_by(
            m,
            format!("a {noun} method cannot take `&mut self`: calls run concurrently; {fix}"),
        );
    }
}

/// Whether a parameter is injected from the context rather than supplied by the client.
///
/// References, `ToolContext`, `Caller` and `State<T>` (by the last path segment) are
/// injected; everything else is supplied. `#[arg(context)]` and `#[arg(context = false)]`
/// override this.
pub(crate) fn is_context(ty: &Type, arg: &ArgAttr) -> bool {
    match &arg.context {
        Some(c) => c.value,
        None => is_context_type(ty),
    }
}

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

/// The context parameters seen so far: each type may be injected once.
#[derive(Default)]
pub(crate) struct ContextParams {
    seen: Vec<(String, String)>,
}

impl ContextParams {
    /// Records a context parameter, reporting a second one of the same type.
    pub(crate) fn note(&mut self, cx: &Ctxt, ty: &Type, pat: &Pat) {
        let key = type_key(ty);
        let binding = pat.to_token_stream().to_string();
        if let Some((_, first)) = self.seen.iter().find(|(k, _)| *k == key) {
            cx.error_spanned_by(
                ty,
                format!(
                    "`{key}` is already injected as `{first}`; take each context parameter once"
                ),
            );
        } else {
            self.seen.push((key, binding));
        }
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

/// The name a client uses for a parameter: `#[arg(rename = "...")]`, else the parameter's.
pub(crate) fn param_name(cx: &Ctxt, arg: &ArgAttr, pat_ty: &PatType) -> Option<String> {
    match (&arg.rename, &*pat_ty.pat) {
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
    }
}

/// A parameter's description: its doc comment or `#[arg(description = "...")]`, not both.
pub(crate) fn param_description(cx: &Ctxt, arg: &ArgAttr, pat_ty: &PatType) -> Option<String> {
    let doc = doc_text(&pat_ty.attrs);
    match (&arg.description, doc.is_empty()) {
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
    }
}

/// The doc comment as one string: one leading space per line removed, outer blank lines
/// trimmed. Only literal `#[doc = "..."]` attributes count.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
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

/// The declared return type; `()` when there is none.
pub(crate) fn output_type(sig: &Signature) -> Option<Type> {
    match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_types_are_recognised_by_their_written_form() {
        let ty = |s: &str| syn::parse_str::<Type>(s).unwrap();
        assert!(is_context_type(&ty("&ToolContext")));
        assert!(is_context_type(&ty("mcp_runtime::State<u8>")));
        assert!(is_context_type(&ty("(Caller)")));
        assert!(!is_context_type(&ty("String")));
        assert_eq!(type_key(&ty("&'a ToolContext")), "&ToolContext");
    }
}
