//! Attribute parsing shared by the macros: the `key = value, ...` machinery, the keys every
//! item macro has (`name`, `description`, `title`, `scopes`, `public`, `crate`), `#[tools(...)]`
//! and the parameter attribute `#[arg(...)]`.
//!
//! Simple checks happen here, while parsing: the shape of each value, repeated keys (reported
//! on the second occurrence), unknown keys (with the nearest valid key suggested), and the
//! form of each scope string. Each macro's own keys are parsed next to its model
//! (`tool_model.rs`, `prompt_model.rs`, `resource_model.rs`); checks that involve several
//! keys or the function signature live there and in `model.rs`.

use crate::ctxt::{Ctxt, closest};
use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitStr, Path, Token, bracketed};

/// A key and its value, remembering where the key was written.
pub(crate) struct Spanned<T> {
    pub(crate) key: Span,
    pub(crate) value: T,
}

/// The keys every item macro (`#[tool]`, `#[prompt]`, `#[resource]`) shares.
#[derive(Default)]
pub(crate) struct CommonAttr {
    pub(crate) name: Option<Spanned<LitStr>>,
    pub(crate) description: Option<Spanned<LitStr>>,
    pub(crate) title: Option<Spanned<LitStr>>,
    pub(crate) scopes: Option<Spanned<Vec<LitStr>>>,
    pub(crate) public: Option<Spanned<()>>,
    pub(crate) krate: Option<Spanned<Path>>,
    /// The later of `scopes` and `public`, when both are given.
    pub(crate) access_conflict: Option<Span>,
    /// Some key could not be parsed (so what seems missing may just be misspelt).
    pub(crate) malformed: bool,
}

impl CommonAttr {
    /// Parses `key` when it is one of the shared keys; `Ok(false)` when it is not. `noun`
    /// names the item in messages (`tool`, `prompt`, `resource`).
    pub(crate) fn parse_key(
        &mut self,
        cx: &Ctxt,
        noun: &str,
        key: &Ident,
        input: ParseStream<'_>,
    ) -> syn::Result<bool> {
        match key.to_string().as_str() {
            // #[tool(name = "get_order_status")]
            "name" => set(cx, &mut self.name, key, lit_str_value(input, key)?),
            // #[tool(description = "Look up one order.")]
            "description" => set(cx, &mut self.description, key, lit_str_value(input, key)?),
            // #[tool(title = "Order status")]
            "title" => set(cx, &mut self.title, key, lit_str_value(input, key)?),
            // #[tool(scopes = ["orders:read", "orders:write"])]
            "scopes" => {
                if self.public.is_some() && self.access_conflict.is_none() {
                    self.access_conflict = Some(key.span());
                }
                set(
                    cx,
                    &mut self.scopes,
                    key,
                    scopes_value(cx, input, key, noun)?,
                );
            }
            // #[tool(public)]
            "public" => {
                no_value(input, key)?;
                if self.scopes.is_some() && self.access_conflict.is_none() {
                    self.access_conflict = Some(key.span());
                }
                set(cx, &mut self.public, key, ());
            }
            // #[tool(crate = "::my_runtime")]
            "crate" => set(cx, &mut self.krate, key, crate_value(input, key)?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Parses the keys of an item attribute (`#[tool(...)]`, ...) with `on_key`, which is only
/// called with one of `keys`; returns whether some key was malformed.
pub(crate) fn parse_item_keys(
    cx: &Ctxt,
    tokens: proc_macro2::TokenStream,
    attr: &str,
    keys: &[&str],
    mut on_key: impl FnMut(&Ident, ParseStream<'_>) -> syn::Result<()>,
) -> bool {
    let errors_before = cx.error_count();
    let parser = |input: ParseStream<'_>| parse_keys(cx, input, attr, keys, &mut on_key);
    if let Err(e) = parser.parse2(tokens) {
        cx.syn_error(e);
    }
    cx.error_count() > errors_before
}

/// Parses the arguments of `#[tools(...)]`: only `crate = "..."`.
pub(crate) fn parse_tools_attr(cx: &Ctxt, tokens: proc_macro2::TokenStream) -> Option<Path> {
    let mut krate = None;
    let parser = |input: ParseStream<'_>| {
        parse_keys(cx, input, "tools", &["crate"], |key, input| {
            // #[tools(crate = "::my_runtime")]
            set(cx, &mut krate, key, crate_value(input, key)?);
            Ok(())
        })
    };
    if let Err(e) = parser.parse2(tokens) {
        cx.syn_error(e);
    }
    krate.map(|k: Spanned<Path>| k.value)
}

/// What `#[arg(...)]` on a parameter said.
#[derive(Default)]
pub(crate) struct ArgAttr {
    pub(crate) description: Option<Spanned<LitStr>>,
    pub(crate) rename: Option<Spanned<LitStr>>,
    pub(crate) context: Option<Spanned<bool>>,
    pub(crate) flatten: Option<Spanned<()>>,
}

const ARG_KEYS: &[&str] = &["description", "rename", "context", "flatten"];

/// Parses every `#[arg(...)]` on a parameter (several are merged, keys still unique).
pub(crate) fn parse_arg_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> ArgAttr {
    let mut out = ArgAttr::default();
    for attr in attrs.iter().filter(|a| is_arg_attr(a)) {
        let tokens = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "expected `#[arg(description = \"...\")]`, `#[arg(rename = \"...\")]`, `#[arg(context)]` or `#[arg(flatten)]`",
                );
                continue;
            }
        };
        let parser = |input: ParseStream<'_>| {
            parse_keys(cx, input, "arg", ARG_KEYS, |key, input| {
                match key.to_string().as_str() {
                    // #[arg(description = "The order id, e.g. TN-1001")]
                    "description" => set(cx, &mut out.description, key, lit_str_value(input, key)?),
                    // #[arg(rename = "orderId")]
                    "rename" => set(cx, &mut out.rename, key, lit_str_value(input, key)?),
                    // #[arg(context)] or #[arg(context = false)]
                    "context" => set(cx, &mut out.context, key, flag_value(input)?),
                    // #[arg(flatten)]
                    "flatten" => {
                        no_value(input, key)?;
                        set(cx, &mut out.flatten, key, ());
                    }
                    _ => unreachable!("keys are filtered by `parse_keys`"),
                }
                Ok(())
            })
        };
        if let Err(e) = parser.parse2(tokens) {
            cx.syn_error(e);
        }
    }
    out
}

/// Whether `attr` is a parameter attribute of ours.
pub(crate) fn is_arg_attr(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("arg")
}

/// `key, key = value, ...` with recovery: a bad entry is reported and skipped, and parsing
/// goes on with the next one, so every mistake shows up in one build.
fn parse_keys(
    cx: &Ctxt,
    input: ParseStream<'_>,
    attr: &str,
    keys: &[&str],
    mut on_key: impl FnMut(&Ident, ParseStream<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        let key = input.call(Ident::parse_any)?;
        let name = key.to_string();
        let result = if keys.contains(&name.as_str()) {
            on_key(&key, input)
        } else {
            let list = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let message = match closest(&name, keys) {
                Some(near) => {
                    format!("unknown `{attr}` attribute key `{name}`; did you mean `{near}`?")
                }
                None => format!("unknown `{attr}` attribute key `{name}`; expected one of {list}"),
            };
            Err(syn::Error::new(key.span(), message))
        };
        if let Err(e) = result {
            cx.syn_error(e);
            skip_to_comma(input)?;
        }
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            cx.error_at(
                input.span(),
                format!("expected `,` between the keys of `#[{attr}(...)]`"),
            );
            skip_to_comma(input)?;
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(())
}

fn skip_to_comma(input: ParseStream<'_>) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

pub(crate) fn set<T>(cx: &Ctxt, slot: &mut Option<Spanned<T>>, key: &Ident, value: T) {
    if slot.is_some() {
        cx.error_at(
            key.span(),
            format!("`{key}` specified more than once; remove this one"),
        );
    } else {
        *slot = Some(Spanned {
            key: key.span(),
            value,
        });
    }
}

pub(crate) fn lit_str_value(input: ParseStream<'_>, key: &Ident) -> syn::Result<LitStr> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected `{key} = \"...\"`"),
        ));
    }
    input.parse::<Token![=]>()?;
    input
        .parse::<LitStr>()
        .map_err(|e| syn::Error::new(e.span(), format!("expected a string: `{key} = \"...\"`")))
}

pub(crate) fn no_value(input: ParseStream<'_>, key: &Ident) -> syn::Result<()> {
    if input.peek(Token![=]) || input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` takes no value; write just `{key}`"),
        ));
    }
    Ok(())
}

pub(crate) fn flag_value(input: ParseStream<'_>) -> syn::Result<bool> {
    if !input.peek(Token![=]) {
        return Ok(true);
    }
    input.parse::<Token![=]>()?;
    let lit: LitBool = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "expected `true` or `false`"))?;
    Ok(lit.value)
}

pub(crate) fn crate_value(input: ParseStream<'_>, key: &Ident) -> syn::Result<Path> {
    let lit = lit_str_value(input, key)?;
    lit.parse::<Path>()
        .map_err(|_| syn::Error::new(lit.span(), "expected a path: `crate = \"::mcp_runtime\"`"))
}

/// `key = path`, e.g. `completer = order_ids`.
pub(crate) fn path_value(input: ParseStream<'_>, key: &Ident) -> syn::Result<Path> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected `{key} = path::to::function`"),
        ));
    }
    input.parse::<Token![=]>()?;
    input.parse::<Path>().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected the path of a function: `{key} = path::to::function`"),
        )
    })
}

fn scopes_value(
    cx: &Ctxt,
    input: ParseStream<'_>,
    key: &Ident,
    noun: &str,
) -> syn::Result<Vec<LitStr>> {
    let shape = || {
        syn::Error::new(
            key.span(),
            "expected a list of scopes: `scopes = [\"orders:read\"]`",
        )
    };
    if !input.peek(Token![=]) {
        return Err(shape());
    }
    input.parse::<Token![=]>()?;
    if !input.peek(syn::token::Bracket) {
        return Err(syn::Error::new(
            input.span(),
            "expected a list of scopes: `scopes = [\"orders:read\"]`",
        ));
    }
    let content;
    let brackets = bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    if list.is_empty() {
        cx.error_at(
            brackets.span.join(),
            format!("the scope list is empty; list at least one scope (`scopes = [\"orders:read\"]`), or declare the {noun} `public`"),
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &list {
        let scope = lit.value();
        if let Err(why) = check_scope(&scope) {
            cx.error_spanned_by(lit, why);
        } else if seen.contains(&scope) {
            cx.error_spanned_by(
                lit,
                format!("duplicate scope `{scope}`; list each scope once"),
            );
        } else {
            seen.push(scope);
        }
    }
    Ok(list.into_iter().collect())
}

/// The rules of the runtime's `validate_scope` (RFC 6749 `scope-token`), at compile time.
fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err(
            "a scope must not be empty; write the scope, e.g. `\"orders:read\"`".to_owned(),
        );
    }
    if scope.trim().is_empty() {
        return Err(
            "a scope must not be blank; write the scope, e.g. `\"orders:read\"`".to_owned(),
        );
    }
    if let Some(c) = scope
        .chars()
        .find(|c| !matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
    {
        return Err(format!(
            "scope `{scope}` contains {c:?}; a scope is printable ASCII without spaces, `\"` or `\\` (one scope per string)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        assert!(check_scope("orders:read").is_ok());
        assert!(check_scope(" ").unwrap_err().contains("blank"));
        assert!(check_scope("a b").unwrap_err().contains("' '"));
    }
}
