//! `#[prompt(...)]`: its keys and the validated model of one prompt.
//!
//! The checks shared with tools and resources are in `model.rs`; the prompt's own are here:
//! the name rules of `prompts/get`, `completer`, and each parameter's role (a context
//! parameter, or an argument with its description). Whether an argument's type is `String`
//! or `Option<String>` is left to the type checker (the runtime's `PromptArg`), so the error
//! lands on that type.

use crate::attr::{self, CommonAttr, Spanned, path_value, set};
use crate::ctxt::Ctxt;
use crate::model::{self, Access, ContextParams, PROMPT, Param, ParamKind, Site};
use proc_macro2::Span;
use syn::{Path, Signature, Type};

/// What `#[prompt(...)]` said, before it is checked against the signature.
#[derive(Default)]
pub(crate) struct PromptAttr {
    pub(crate) common: CommonAttr,
    pub(crate) completer: Option<Spanned<Path>>,
}

const PROMPT_KEYS: &[&str] = &[
    "name",
    "description",
    "title",
    "scopes",
    "public",
    "completer",
    "crate",
];

/// Parses the arguments of `#[prompt(...)]`.
pub(crate) fn parse_prompt_attr(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> PromptAttr {
    let mut out = PromptAttr::default();
    let malformed = attr::parse_item_keys(cx, tokens, "prompt", PROMPT_KEYS, |key, input| {
        if out.common.parse_key(cx, "prompt", key, input)? {
            return Ok(());
        }
        match key.to_string().as_str() {
            // #[prompt(completer = order_ids)]
            "completer" => set(cx, &mut out.completer, key, path_value(input, key)?),
            _ => unreachable!("keys are filtered by `parse_keys`"),
        }
        Ok(())
    });
    out.common.malformed = malformed;
    out
}

/// One prompt, validated.
pub(crate) struct PromptDef {
    pub(crate) name: String,
    /// Where the name came from (the `name = "..."` literal or the function's name).
    pub(crate) name_span: Span,
    pub(crate) description: String,
    pub(crate) title: Option<String>,
    pub(crate) access: Access,
    pub(crate) completer: Option<Path>,
    pub(crate) receiver: bool,
    /// Context parameters and arguments (each with a description).
    pub(crate) params: Vec<Param>,
    pub(crate) output: Type,
}

/// Checks `attr` against the signature and doc comment; `None` when anything is wrong (the
/// errors are in `cx`).
pub(crate) fn prompt_def(
    cx: &Ctxt,
    attr: &PromptAttr,
    attr_span: Span,
    sig: &Signature,
    docs: &[syn::Attribute],
    site: Site,
) -> Option<PromptDef> {
    let errors_before = cx.has_errors();
    let (name, name_span) = model::resolve_name(cx, &PROMPT, &attr.common, sig, check_prompt_name);
    let description = model::resolve_description(cx, &PROMPT, &attr.common, docs, sig, &name);
    let access = model::resolve_access(cx, &PROMPT, &attr.common, attr_span, &name);
    model::check_fn_shape(cx, &PROMPT, sig);

    let mut receiver = false;
    let mut params = Vec::new();
    let mut context = ContextParams::default();
    let mut arg_seen: Vec<String> = Vec::new();
    for input in &sig.inputs {
        let Some((pat_ty, arg, ty)) = model::typed_param(cx, &PROMPT, input, site, &mut receiver)
        else {
            continue;
        };
        if let Some(f) = &arg.flatten {
            cx.error_at(
                f.key,
                "`flatten` is for tools; a prompt takes each argument as its own `String` or `Option<String>` parameter",
            );
            continue;
        }
        if model::is_context(&ty, &arg) {
            if let Some(d) = &arg.description {
                cx.error_at(
                    d.key,
                    "a context parameter is not a prompt argument, so it takes no `description`; remove it",
                );
            }
            context.note(cx, &ty, &pat_ty.pat);
            params.push(Param {
                ty,
                kind: ParamKind::Context,
            });
            continue;
        }
        let Some(name) = model::param_name(cx, &arg, pat_ty) else {
            continue;
        };
        if name.trim().is_empty() {
            if let Some(r) = &arg.rename {
                cx.error_spanned_by(&r.value, "a prompt argument name must not be empty");
            }
        } else if arg_seen.contains(&name) {
            cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "two arguments are named `{name}`; rename one with `#[arg(rename = \"...\")]`"
                ),
            );
        }
        arg_seen.push(name.clone());
        let description = model::param_description(cx, &arg, pat_ty);
        if description.is_none() && arg.description.is_none() {
            cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "prompt argument `{name}` has no description; add a doc comment (`/// The order to summarize`) or `#[arg(description = \"...\")]` on it"
                ),
            );
        }
        params.push(Param {
            ty,
            kind: ParamKind::Arg { name, description },
        });
    }

    let output = match model::output_type(sig) {
        Some(Type::ImplTrait(ty)) => {
            cx.error_spanned_by(
                &ty,
                "a prompt cannot return `impl Trait`; name the type (e.g. `Vec<PromptMessage>`)",
            );
            None
        }
        Some(ty) => Some(ty),
        None => {
            cx.error_spanned_by(
                &sig.ident,
                format!(
                    "prompt `{name}` returns nothing; return its messages: `Vec<PromptMessage>`, `GetPromptResult`, or either inside `Result<_, ToolError>`"
                ),
            );
            None
        }
    };

    if cx.has_errors() || errors_before {
        return None;
    }
    Some(PromptDef {
        name,
        name_span,
        description,
        title: attr.common.title.as_ref().map(|t| t.value.value()),
        access,
        completer: attr.completer.as_ref().map(|c| c.value.clone()),
        receiver,
        params,
        output: output?,
    })
}

/// The runtime's prompt-name rules (`PromptBuilder::build`).
fn check_prompt_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a prompt name must not be empty".to_owned());
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{c:?} is not allowed; a prompt name has no whitespace or control characters"
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
    ) -> Result<PromptDef, String> {
        let cx = Ctxt::new();
        let a = parse_prompt_attr(&cx, attr);
        let f: syn::ItemFn = syn::parse2(item).unwrap();
        let d = prompt_def(&cx, &a, Span::call_site(), &f.sig, &f.attrs, Site::Free);
        cx.messages().map(|()| d.unwrap())
    }

    #[test]
    fn arguments_are_named_and_described() {
        let d = def(
            quote!(public, title = "Summary", completer = ids),
            quote! {
                /// Summarize.
                async fn summarize(
                    caller: &Caller,
                    /// The order.
                    order_id: String,
                    #[arg(rename = "toneOfVoice", description = "How to say it")] tone: Option<String>,
                ) -> Vec<PromptMessage> {}
            },
        )
        .unwrap();
        assert_eq!(
            (d.name.as_str(), d.title.as_deref()),
            ("summarize", Some("Summary"))
        );
        assert!(d.completer.is_some());
        let kinds: Vec<String> = d
            .params
            .iter()
            .map(|p| match &p.kind {
                ParamKind::Arg { name, description } => format!("{name}:{description:?}"),
                ParamKind::Context => "ctx".to_owned(),
                _ => "other".to_owned(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "ctx",
                "order_id:Some(\"The order.\")",
                "toneOfVoice:Some(\"How to say it\")"
            ]
        );
    }

    #[test]
    fn mistakes_are_reported() {
        let err = def(
            quote!(scopes = ["s"], name = "has space"),
            quote!(
                /// d
                async fn f(x: String) -> Vec<PromptMessage> {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.contains("invalid prompt name `has space`"), "{err}");
        let err = def(
            quote!(public),
            quote!(
                async fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.contains("prompt `f` has no description"), "{err}");
        assert!(check_prompt_name("a.b/c:d").is_ok());
    }
}
