//! `#[tool(...)]`: its keys and the validated model of one tool. Code generation reads only
//! the model, never raw `syn`.
//!
//! The checks shared with prompts and resources (name, description, access, the shape of
//! the function, the receiver, context parameters) are in `model.rs`; the tool's own are
//! here: the hints, `flatten`, and each argument's role in the `inputSchema`.

use crate::attr::{self, CommonAttr, Spanned, flag_value, set};
use crate::ctxt::Ctxt;
use crate::model::{self, Access, ContextParams, Param, ParamKind, Site, TOOL};
use proc_macro2::Span;
use syn::{Signature, Type};

/// The longest tool name the runtime accepts.
const MAX_TOOL_NAME_LEN: usize = 64;

/// What `#[tool(...)]` said, before it is checked against the signature.
#[derive(Default)]
pub(crate) struct ToolAttr {
    pub(crate) common: CommonAttr,
    pub(crate) read_only: Option<Spanned<bool>>,
    pub(crate) destructive: Option<Spanned<bool>>,
    pub(crate) idempotent: Option<Spanned<bool>>,
    pub(crate) open_world: Option<Spanned<bool>>,
}

const TOOL_KEYS: &[&str] = &[
    "name",
    "description",
    "title",
    "scopes",
    "public",
    "read_only",
    "destructive",
    "idempotent",
    "open_world",
    "crate",
];

/// Parses the arguments of `#[tool(...)]`.
pub(crate) fn parse_tool_attr(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> ToolAttr {
    let mut out = ToolAttr::default();
    let malformed = attr::parse_item_keys(cx, tokens, "tool", TOOL_KEYS, |key, input| {
        if out.common.parse_key(cx, "tool", key, input)? {
            return Ok(());
        }
        match key.to_string().as_str() {
            // #[tool(read_only)] or #[tool(read_only = false)], same for the other hints
            "read_only" => set(cx, &mut out.read_only, key, flag_value(input)?),
            "destructive" => set(cx, &mut out.destructive, key, flag_value(input)?),
            "idempotent" => set(cx, &mut out.idempotent, key, flag_value(input)?),
            "open_world" => set(cx, &mut out.open_world, key, flag_value(input)?),
            _ => unreachable!("keys are filtered by `parse_keys`"),
        }
        Ok(())
    });
    out.common.malformed = malformed;
    out
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
    let (name, name_span) = model::resolve_name(cx, &TOOL, &attr.common, sig, check_tool_name);
    let description = model::resolve_description(cx, &TOOL, &attr.common, docs, sig, &name);
    let access = model::resolve_access(cx, &TOOL, &attr.common, attr_span, &name);

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

    model::check_fn_shape(cx, &TOOL, sig);

    let mut receiver = false;
    let mut params = Vec::new();
    let mut context = ContextParams::default();
    let mut arg_seen: Vec<String> = Vec::new();
    let mut flatten_seen = false;
    for input in &sig.inputs {
        let Some((pat_ty, arg, ty)) = model::typed_param(cx, &TOOL, input, site, &mut receiver)
        else {
            continue;
        };
        if model::is_context(&ty, &arg) {
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
            context.note(cx, &ty, &pat_ty.pat);
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
        let Some(name) = model::param_name(cx, &arg, pat_ty) else {
            continue;
        };
        if arg_seen.contains(&name) {
            cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "two arguments are named `{name}`; rename one with `#[arg(rename = \"...\")]`"
                ),
            );
        }
        arg_seen.push(name.clone());
        let description = model::param_description(cx, &arg, pat_ty);
        params.push(Param {
            ty,
            kind: ParamKind::Arg { name, description },
        });
    }

    let output = match model::output_type(sig) {
        None => syn::parse_quote!(()),
        Some(ty) => {
            if let Type::ImplTrait(_) = ty {
                cx.error_spanned_by(
                    &ty,
                    "a tool cannot return `impl Trait`; name the type (e.g. `Result<Json<T>, ToolError>`)",
                );
            }
            ty
        }
    };

    if cx.has_errors() || errors_before {
        return None;
    }
    Some(ToolDef {
        name,
        name_span,
        description,
        title: attr.common.title.as_ref().map(|t| t.value.value()),
        access,
        hints,
        receiver,
        params,
        output,
    })
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
    use syn::LitStr;

    fn def(
        attr: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> Result<ToolDef, String> {
        let cx = Ctxt::new();
        let a = parse_tool_attr(&cx, attr);
        let f: syn::ItemFn = syn::parse2(item).unwrap();
        let d = tool_def(&cx, &a, Span::call_site(), &f.sig, &f.attrs, Site::Free);
        match cx.check() {
            Ok(()) => Ok(d.unwrap()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn parses_every_key() {
        let cx = Ctxt::new();
        let a = parse_tool_attr(
            &cx,
            quote!(
                name = "n",
                title = "T",
                scopes = ["a:b", "c"],
                read_only,
                open_world = false,
                crate = "::x"
            ),
        );
        cx.check().unwrap();
        assert_eq!(a.common.name.unwrap().value.value(), "n");
        assert_eq!(a.common.title.unwrap().value.value(), "T");
        let scopes: Vec<String> = a
            .common
            .scopes
            .unwrap()
            .value
            .iter()
            .map(LitStr::value)
            .collect();
        assert_eq!(scopes, ["a:b", "c"]);
        assert!(a.read_only.unwrap().value);
        assert!(!a.open_world.unwrap().value);
        assert!(a.common.public.is_none());
        assert!(a.common.krate.is_some());
    }

    #[test]
    fn reports_every_mistake_and_goes_on() {
        let cx = Ctxt::new();
        let a = parse_tool_attr(
            &cx,
            quote!(
                nme = "x",
                scopes = ["", "a", "a"],
                public,
                public = 1,
                title = "t"
            ),
        );
        let err = cx.check().unwrap_err();
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("did you mean `name`"));
        assert!(messages[1].contains("must not be empty"));
        assert!(messages[2].contains("duplicate scope `a`"));
        assert!(messages[3].contains("takes no value"));
        assert!(a.common.title.is_some(), "parsing went on after the errors");
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
                ParamKind::Var { name } => format!("var {name}"),
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
