//! `#[resource(...)]`: its keys and the validated model of one resource or resource template.
//!
//! The checks shared with tools and prompts are in `model.rs`; the resource's own are here:
//! the `uri` (an absolute URI, or a level-1 RFC 6570 template with the runtime's rules), the
//! `mime_type`, `completer` (templates only), and the match between the template's
//! `{variables}` and the function's parameters.

use crate::attr::{self, CommonAttr, Spanned, lit_str_value, path_value, set};
use crate::ctxt::Ctxt;
use crate::model::{self, Access, ContextParams, Param, ParamKind, RESOURCE, Site};
use proc_macro2::Span;
use syn::{LitStr, Path, Signature, Type};

/// What `#[resource(...)]` said, before it is checked against the signature.
#[derive(Default)]
pub(crate) struct ResourceAttr {
    pub(crate) common: CommonAttr,
    pub(crate) uri: Option<Spanned<LitStr>>,
    pub(crate) mime_type: Option<Spanned<LitStr>>,
    pub(crate) completer: Option<Spanned<Path>>,
}

impl ResourceAttr {
    /// Whether the `uri` looks like a template (decides the generated function's name even
    /// when the definition has errors).
    pub(crate) fn is_template(&self) -> bool {
        self.uri
            .as_ref()
            .is_some_and(|u| u.value.value().contains(['{', '}']))
    }
}

const RESOURCE_KEYS: &[&str] = &[
    "uri",
    "name",
    "description",
    "title",
    "mime_type",
    "scopes",
    "public",
    "completer",
    "crate",
];

/// Parses the arguments of `#[resource(...)]`.
pub(crate) fn parse_resource_attr(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> ResourceAttr {
    let mut out = ResourceAttr::default();
    let malformed = attr::parse_item_keys(cx, tokens, "resource", RESOURCE_KEYS, |key, input| {
        if out.common.parse_key(cx, "resource", key, input)? {
            return Ok(());
        }
        match key.to_string().as_str() {
            // #[resource(uri = "orders://{id}")]
            "uri" => set(cx, &mut out.uri, key, lit_str_value(input, key)?),
            // #[resource(mime_type = "application/json")]
            "mime_type" => set(cx, &mut out.mime_type, key, lit_str_value(input, key)?),
            // #[resource(completer = order_ids)]
            "completer" => set(cx, &mut out.completer, key, path_value(input, key)?),
            _ => unreachable!("keys are filtered by `parse_keys`"),
        }
        Ok(())
    });
    out.common.malformed = malformed;
    out
}

/// One resource or resource template, validated.
pub(crate) struct ResourceDef {
    /// The URI, or the URI template.
    pub(crate) uri: String,
    pub(crate) uri_span: Span,
    /// Whether `uri` has `{variables}`.
    pub(crate) template: bool,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) title: Option<String>,
    pub(crate) mime_type: Option<String>,
    pub(crate) access: Access,
    pub(crate) completer: Option<Path>,
    pub(crate) receiver: bool,
    /// Context parameters and URI variables.
    pub(crate) params: Vec<Param>,
    pub(crate) output: Type,
}

/// Checks `attr` against the signature and doc comment; `None` when anything is wrong (the
/// errors are in `cx`).
pub(crate) fn resource_def(
    cx: &Ctxt,
    attr: &ResourceAttr,
    attr_span: Span,
    sig: &Signature,
    docs: &[syn::Attribute],
    site: Site,
) -> Option<ResourceDef> {
    let errors_before = cx.has_errors();
    let (name, _) = model::resolve_name(cx, &RESOURCE, &attr.common, sig, check_resource_name);
    let description = model::resolve_description(cx, &RESOURCE, &attr.common, docs, sig, &name);
    let access = model::resolve_access(cx, &RESOURCE, &attr.common, attr_span, &name);

    // uri: required; `None` here when it is missing or malformed.
    let variables = match &attr.uri {
        Some(uri) => match check_uri(&uri.value.value()) {
            Ok(vars) => Some(vars),
            Err(why) => {
                cx.error_spanned_by(&uri.value, why);
                None
            }
        },
        None if attr.common.malformed => None,
        None => {
            cx.error_at(
                attr_span,
                format!(
                    "resource `{name}` has no `uri`; add `uri = \"scheme://...\"` (with `{{variables}}` for a resource template)"
                ),
            );
            None
        }
    };
    let template = attr.is_template();
    if let Some(m) = &attr.mime_type {
        let mime = m.value.value();
        let (kind, sub) = mime.split_once('/').unwrap_or_default();
        if kind.is_empty()
            || sub.is_empty()
            || mime.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            cx.error_spanned_by(
                &m.value,
                format!("`{mime}` is not a MIME type; write `type/subtype`, e.g. `text/plain`"),
            );
        }
    }
    if let Some(c) = &attr.completer
        && attr.uri.is_some()
        && !template
    {
        cx.error_at(
            c.key,
            "`completer` is for resource templates (a `uri` with `{variables}`); a fixed URI has nothing to complete",
        );
    }
    model::check_fn_shape(cx, &RESOURCE, sig);

    let mut receiver = false;
    let mut params = Vec::new();
    let mut context = ContextParams::default();
    let mut received: Vec<String> = Vec::new();
    for input in &sig.inputs {
        let Some((pat_ty, arg, ty)) = model::typed_param(cx, &RESOURCE, input, site, &mut receiver)
        else {
            continue;
        };
        if let Some(f) = &arg.flatten {
            cx.error_at(
                f.key,
                "`flatten` is for tools; a resource template receives each URI variable as its own `String` parameter",
            );
            continue;
        }
        let doc = pat_ty.attrs.iter().find(|a| a.path().is_ident("doc"));
        if model::is_context(&ty, &arg) {
            context.note(cx, &ty, &pat_ty.pat);
            params.push(Param {
                ty,
                kind: ParamKind::Context,
            });
            continue;
        }
        if let Some(d) = &arg.description {
            cx.error_at(
                d.key,
                "a URI variable has no description in MCP; describe it in the resource's description",
            );
        } else if let Some(doc) = doc {
            cx.error_spanned_by(
                doc,
                "a URI variable has no description in MCP; describe it in the resource's description",
            );
        }
        let Some(var) = model::param_name(cx, &arg, pat_ty) else {
            continue;
        };
        match &variables {
            Some(_) if !template => cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "resource `{}` has a fixed URI, so `{var}` receives nothing; put `{{{var}}}` in the `uri` to make it a resource template",
                    attr.uri.as_ref().map(|u| u.value.value()).unwrap_or_default()
                ),
            ),
            Some(vars) if !vars.contains(&var) => cx.error_spanned_by(
                &pat_ty.pat,
                format!(
                    "`{var}` is not a variable of the URI template; its variables are {}",
                    vars.iter().map(|v| format!("`{{{v}}}`")).collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(_) if received.contains(&var) => cx.error_spanned_by(
                &pat_ty.pat,
                format!("two parameters receive the URI variable `{{{var}}}`; keep one"),
            ),
            _ => {}
        }
        received.push(var.clone());
        params.push(Param {
            ty,
            kind: ParamKind::Var { name: var },
        });
    }
    if let (Some(vars), Some(uri)) = (&variables, &attr.uri) {
        for var in vars.iter().filter(|v| !received.contains(v)) {
            cx.error_spanned_by(
                &uri.value,
                format!(
                    "the URI template variable `{{{var}}}` has no parameter; add `{var}: String` to `fn {}`",
                    sig.ident
                ),
            );
        }
    }

    let output = match model::output_type(sig) {
        Some(Type::ImplTrait(ty)) => {
            cx.error_spanned_by(
                &ty,
                "a resource cannot return `impl Trait`; name the type (e.g. `Vec<ResourceContents>`)",
            );
            None
        }
        Some(ty) => Some(ty),
        None => {
            cx.error_spanned_by(
                &sig.ident,
                format!(
                    "resource `{name}` returns nothing; return its contents: `String`, `Vec<ResourceContents>`, or either inside `Result<_, ResourceError>`"
                ),
            );
            None
        }
    };

    if cx.has_errors() || errors_before {
        return None;
    }
    let uri = attr.uri.as_ref()?;
    Some(ResourceDef {
        uri: uri.value.value(),
        uri_span: uri.value.span(),
        template,
        name,
        description,
        title: attr.common.title.as_ref().map(|t| t.value.value()),
        mime_type: attr.mime_type.as_ref().map(|m| m.value.value()),
        access,
        completer: attr.completer.as_ref().map(|c| c.value.clone()),
        receiver,
        params,
        output: output?,
    })
}

/// A resource name is any non-blank text (`ResourceBuilder::build`).
fn check_resource_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a resource name must not be blank".to_owned());
    }
    Ok(())
}

/// The runtime's rules for a resource URI or URI template (`check_uri`, `UriTemplate::parse`):
/// the template's variables, in order, or what is wrong.
fn check_uri(uri: &str) -> Result<Vec<String>, String> {
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok || uri.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{uri}` is not an absolute URI; write `scheme:...` (e.g. `docs://readme`) without whitespace"
        ));
    }
    let malformed = |why: String| format!("malformed URI template `{uri}`: {why}");
    let mut vars: Vec<String> = Vec::new();
    let mut after_var = false;
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            if rest[..open].contains('}') {
                return Err(malformed("a `}` without `{`".to_owned()));
            }
            after_var = false;
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| malformed("an unclosed `{`".to_owned()))?
            + open;
        let name = &rest[open + 1..close];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        {
            return Err(malformed(format!(
                "`{{{name}}}`: only simple `{{name}}` variables (A-Z, a-z, 0-9, `_`, `.`) are supported"
            )));
        }
        if after_var {
            return Err(malformed(format!(
                "`{{{name}}}` follows another variable directly; separate them with literal text"
            )));
        }
        if vars.iter().any(|v| v == name) {
            return Err(malformed(format!(
                "the variable `{{{name}}}` appears twice"
            )));
        }
        vars.push(name.to_owned());
        after_var = true;
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(malformed("a `}` without `{`".to_owned()));
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn def(
        attr: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> Result<ResourceDef, String> {
        let cx = Ctxt::new();
        let a = parse_resource_attr(&cx, attr);
        let f: syn::ItemFn = syn::parse2(item).unwrap();
        let d = resource_def(&cx, &a, Span::call_site(), &f.sig, &f.attrs, Site::Free);
        cx.messages().map(|()| d.unwrap())
    }

    #[test]
    fn uris_follow_the_runtime_rules() {
        assert_eq!(check_uri("docs://readme").unwrap(), Vec::<String>::new());
        assert_eq!(
            check_uri("db://{table}/{row.id}").unwrap(),
            ["table", "row.id"]
        );
        for bad in [
            "no scheme",
            "x://{",
            "x://{}",
            "x://{+p}",
            "x://{a}{b}",
            "x://{a}/{a}",
            "x://a}",
            "x://a}{b}",
        ] {
            assert!(check_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn variables_and_parameters_must_match() {
        let d = def(
            quote!(uri = "orders://{id}/lines/{line}", public, mime_type = "text/plain"),
            quote! {
                /// Lines.
                async fn lines(ctx: &ToolContext, line: String, #[arg(rename = "id")] order: String) -> String {}
            },
        )
        .unwrap();
        assert!(d.template);
        let kinds: Vec<String> = d
            .params
            .iter()
            .map(|p| match &p.kind {
                ParamKind::Var { name } => name.clone(),
                _ => "ctx".to_owned(),
            })
            .collect();
        assert_eq!(kinds, ["ctx", "line", "id"]);

        let err = def(
            quote!(uri = "orders://{id}", public),
            quote!(
                /// d
                async fn f(order: String) -> String {}
            ),
        )
        .err()
        .unwrap();
        assert!(
            err.contains("`order` is not a variable of the URI template; its variables are `{id}`"),
            "{err}"
        );
        assert!(
            err.contains("`{id}` has no parameter; add `id: String` to `fn f`"),
            "{err}"
        );

        let err = def(
            quote!(uri = "docs://readme", public, completer = c),
            quote!(
                /// d
                async fn f(id: String) -> String {}
            ),
        )
        .err()
        .unwrap();
        assert!(
            err.contains("`completer` is for resource templates"),
            "{err}"
        );
        assert!(
            err.contains("has a fixed URI, so `id` receives nothing"),
            "{err}"
        );
    }
}
