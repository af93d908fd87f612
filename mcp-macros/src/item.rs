//! `#[tool]`, `#[prompt]` and `#[resource]` as one family: parse whichever attribute it is,
//! validate it into its model, generate its builder expression; and the three macros on a
//! free function.
//!
//! Whatever goes wrong, the user's function is emitted unchanged (minus our `#[arg]` helper
//! attributes) next to the errors, along with a constructor whose body never runs, so that
//! one mistake gives one error and the call sites keep compiling.

use crate::attr::{self, CommonAttr};
use crate::ctxt::Ctxt;
use crate::expand::{self, Ctor};
use crate::model::Site;
use crate::prompt_model::{self, PromptAttr, PromptDef};
use crate::resource_model::{self, ResourceAttr, ResourceDef};
use crate::tool_model::{self, ToolAttr, ToolDef};
use proc_macro2::{Span, TokenStream};
use quote::quote;

/// Which item macro.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Tool,
    Prompt,
    Resource,
}

impl Which {
    /// The macro whose name is the last segment of `attr`'s path (`#[tool]`,
    /// `#[mcp_runtime::prompt]`, ...), if any.
    pub(crate) fn of(attr: &syn::Attribute) -> Option<Self> {
        let last = attr.path().segments.last()?;
        match last.ident.to_string().as_str() {
            "tool" => Some(Self::Tool),
            "prompt" => Some(Self::Prompt),
            "resource" => Some(Self::Resource),
            _ => None,
        }
    }

    /// `tool`, `prompt`, `resource`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Prompt => "prompt",
            Self::Resource => "resource",
        }
    }
}

/// An item attribute, parsed.
pub(crate) enum ItemAttr {
    Tool(ToolAttr),
    Prompt(PromptAttr),
    Resource(ResourceAttr),
}

impl ItemAttr {
    pub(crate) fn parse(which: Which, cx: &Ctxt, tokens: TokenStream) -> Self {
        match which {
            Which::Tool => Self::Tool(tool_model::parse_tool_attr(cx, tokens)),
            Which::Prompt => Self::Prompt(prompt_model::parse_prompt_attr(cx, tokens)),
            Which::Resource => Self::Resource(resource_model::parse_resource_attr(cx, tokens)),
        }
    }

    pub(crate) fn common(&self) -> &CommonAttr {
        match self {
            Self::Tool(a) => &a.common,
            Self::Prompt(a) => &a.common,
            Self::Resource(a) => &a.common,
        }
    }

    /// What the constructor returns (a resource with a `{variable}` is a template).
    pub(crate) fn ctor(&self) -> &'static Ctor {
        match self {
            Self::Tool(_) => &expand::TOOL,
            Self::Prompt(_) => &expand::PROMPT,
            Self::Resource(a) if a.is_template() => &expand::TEMPLATE,
            Self::Resource(_) => &expand::RESOURCE,
        }
    }

    /// Checks the attribute against the signature; `None` when anything is wrong.
    pub(crate) fn def(
        &self,
        cx: &Ctxt,
        attr_span: Span,
        sig: &syn::Signature,
        docs: &[syn::Attribute],
        site: Site,
    ) -> Option<ItemDef> {
        match self {
            Self::Tool(a) => {
                tool_model::tool_def(cx, a, attr_span, sig, docs, site).map(ItemDef::Tool)
            }
            Self::Prompt(a) => {
                prompt_model::prompt_def(cx, a, attr_span, sig, docs, site).map(ItemDef::Prompt)
            }
            Self::Resource(a) => resource_model::resource_def(cx, a, attr_span, sig, docs, site)
                .map(ItemDef::Resource),
        }
    }
}

/// One validated tool, prompt or resource.
pub(crate) enum ItemDef {
    Tool(ToolDef),
    Prompt(PromptDef),
    Resource(ResourceDef),
}

impl ItemDef {
    pub(crate) fn ctor(&self) -> &'static Ctor {
        match self {
            Self::Tool(_) => &expand::TOOL,
            Self::Prompt(_) => &expand::PROMPT,
            Self::Resource(d) if d.template => &expand::TEMPLATE,
            Self::Resource(_) => &expand::RESOURCE,
        }
    }

    /// Whether the function takes `&self`.
    pub(crate) fn receiver(&self) -> bool {
        match self {
            Self::Tool(d) => d.receiver,
            Self::Prompt(d) => d.receiver,
            Self::Resource(d) => d.receiver,
        }
    }

    /// What must be unique among items of its kind (the name, or the URI), and where it was
    /// written.
    pub(crate) fn key(&self) -> (&str, Span) {
        match self {
            Self::Tool(d) => (&d.name, d.name_span),
            Self::Prompt(d) => (&d.name, d.name_span),
            Self::Resource(d) => (&d.uri, d.uri_span),
        }
    }

    /// The message for a second item with the same key, defined by `fn other`.
    pub(crate) fn duplicate_message(&self, other: &syn::Ident) -> String {
        let (key, _) = self.key();
        match self {
            Self::Tool(_) | Self::Prompt(_) => format!(
                "a {} named `{key}` is already defined in this impl, by `fn {other}`; set a different `name = \"...\"`",
                self.ctor().noun
            ),
            Self::Resource(_) => format!(
                "the {} `{key}` is already defined in this impl, by `fn {other}`; change the `uri`",
                self.ctor().noun
            ),
        }
    }

    /// The builder expression (`Result<_, RegistryError>`) registering this item.
    pub(crate) fn expr(
        &self,
        krate: &TokenStream,
        call_path: &TokenStream,
        this: Option<&TokenStream>,
    ) -> TokenStream {
        match self {
            Self::Tool(d) => expand::tool_expr(krate, d, call_path, this),
            Self::Prompt(d) => expand::prompt_expr(krate, d, call_path, this),
            Self::Resource(d) => expand::resource_expr(krate, d, call_path, this),
        }
    }
}

/// `#[tool(...)]`, `#[prompt(...)]` or `#[resource(...)]` on an `async fn`.
pub(crate) fn free_fn(which: Which, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new(
                expand::call_site(),
                format!(
                    "`#[{}]` applies to an `async fn`, or to a method inside a `#[tools]` impl block",
                    which.name()
                ),
            );
            let err = err.into_compile_error();
            return quote!(#err #item);
        }
    };
    let cx = Ctxt::new();
    let attrs = ItemAttr::parse(which, &cx, args);
    let def = attrs.def(
        &cx,
        expand::call_site(),
        &item_fn.sig,
        &item_fn.attrs,
        Site::Free,
    );
    strip_arg_attrs(&mut item_fn.sig);
    let krate = expand::runtime_path(attrs.common().krate.as_ref().map(|k| k.value.clone()));
    let ctor = attrs.ctor();
    let ident = item_fn.sig.ident.clone();
    match (cx.check(), def) {
        (Ok(()), Some(def)) => {
            let body = def.expr(&krate, &quote!(#ident), None);
            let register = expand::constructor(&krate, def.ctor(), &item_fn.vis, &ident, body);
            quote!(#item_fn #register)
        }
        (result, _) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let body = expand::dummy_body(ctor.noun);
            let register = expand::constructor(&krate, ctor, &item_fn.vis, &ident, body);
            quote!(#item_fn #register #errors)
        }
    }
}

/// Removes our `#[arg(...)]` helper attributes and parameter doc comments (both read into the
/// model), which the compiler would not accept on parameters.
pub(crate) fn strip_arg_attrs(sig: &mut syn::Signature) {
    for input in &mut sig.inputs {
        if let syn::FnArg::Typed(p) = input {
            p.attrs
                .retain(|a| !attr::is_arg_attr(a) && !a.path().is_ident("doc"));
        }
    }
}
