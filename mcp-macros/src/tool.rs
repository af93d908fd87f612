//! `#[tool]` on a free function and `#[tools]` on an `impl` block: parse, validate, generate.
//!
//! Whatever goes wrong, the user's item is emitted unchanged (minus our `#[arg]` helper
//! attributes) next to the errors, along with a registration function whose body never runs,
//! so that one mistake gives one error and the call sites keep compiling.

use crate::attr;
use crate::ctxt::Ctxt;
use crate::expand;
use crate::model::{self, Site};
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned as _;

/// `#[tool(...)]` on an `async fn`.
pub(crate) fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new(
                expand::call_site(),
                "`#[tool]` applies to an `async fn`, or to a method inside a `#[tools]` impl block",
            );
            let err = err.into_compile_error();
            return quote!(#err #item);
        }
    };
    let cx = Ctxt::new();
    let attrs = attr::parse_tool_attr(&cx, args);
    let def = model::tool_def(
        &cx,
        &attrs,
        expand::call_site(),
        &item_fn.sig,
        &item_fn.attrs,
        Site::Free,
    );
    strip_arg_attrs(&mut item_fn.sig);
    let krate = expand::runtime_path(attrs.krate.map(|k| k.value));
    let ident = item_fn.sig.ident.clone();
    match (cx.check(), def) {
        (Ok(()), Some(def)) => {
            let body = expand::tool_expr(&krate, &def, &quote!(#ident), None);
            let register = expand::free_fn(&krate, &item_fn.vis, &ident, body);
            quote!(#item_fn #register)
        }
        (result, _) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let register = expand::free_fn(&krate, &item_fn.vis, &ident, expand::dummy_body());
            quote!(#item_fn #register #errors)
        }
    }
}

/// `#[tools(...)]` on an inherent `impl` block whose `#[tool]` methods become tools.
pub(crate) fn tools(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item_impl: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            let err = syn::Error::new(
                expand::call_site(),
                "`#[tools]` applies to an inherent `impl` block (`impl MyService { ... }`)",
            )
            .into_compile_error();
            return quote!(#err #item);
        }
    };
    let cx = Ctxt::new();
    let krate = expand::runtime_path(attr::parse_tools_attr(&cx, args));
    if let Some((_, path, _)) = &item_impl.trait_ {
        cx.error_spanned_by(
            path,
            "`#[tools]` goes on an inherent impl (`impl MyService { ... }`), not on a trait impl",
        );
    }

    let mut defs = Vec::new();
    let mut found = false;
    for impl_item in &mut item_impl.items {
        let syn::ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let (tool_attrs, rest): (Vec<_>, Vec<_>) = method.attrs.drain(..).partition(is_tool_attr);
        method.attrs = rest;
        let Some(first) = tool_attrs.first() else {
            continue;
        };
        found = true;
        for again in &tool_attrs[1..] {
            cx.error_spanned_by(
                again,
                "`#[tool]` applied more than once; merge the keys into one attribute",
            );
        }
        let tokens = match &first.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::Path(_) => TokenStream::new(),
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(nv, "expected `#[tool(...)]`");
                TokenStream::new()
            }
        };
        let attrs = attr::parse_tool_attr(&cx, tokens);
        if let Some(k) = &attrs.krate {
            cx.error_at(
                k.key,
                "set `crate` once, on the impl block: `#[tools(crate = \"...\")]`",
            );
        }
        let def = model::tool_def(
            &cx,
            &attrs,
            first.span(),
            &method.sig,
            &method.attrs,
            Site::Method,
        );
        strip_arg_attrs(&mut method.sig);
        if let Some(def) = def {
            if let Some((_, other)) = defs
                .iter()
                .find(|(d, _): &&(model::ToolDef, syn::Ident)| d.name == def.name)
            {
                cx.error_at(
                    def.name_span,
                    format!(
                        "a tool named `{}` is already defined in this impl, by `fn {other}`; set a different `name = \"...\"`",
                        def.name
                    ),
                );
            }
            let ident = method.sig.ident.clone();
            defs.push((def, ident));
        }
    }
    if !found && !cx.has_errors() {
        cx.error_at(
            expand::call_site(),
            "`#[tools]` found no `#[tool(...)]` method in this impl block; mark the tool methods with `#[tool(...)]`",
        );
    }

    let (impl_generics, _, where_clause) = item_impl.generics.split_for_impl();
    let self_ty = &item_impl.self_ty;
    let p = quote!(#krate::__private);
    let (body, errors) = match cx.check() {
        Ok(()) => {
            let exprs = defs.iter().map(|(def, ident)| {
                let path = quote!(Self::#ident);
                if def.receiver {
                    expand::tool_expr(&krate, def, &path, Some(&quote!(&self)))
                } else {
                    expand::tool_expr(&krate, def, &path, None)
                }
            });
            (quote!(::std::vec![#(#exprs),*]), None)
        }
        Err(e) => (expand::dummy_body(), Some(e.into_compile_error())),
    };
    let names = defs
        .iter()
        .map(|(d, _)| format!("`{}`", d.name))
        .collect::<Vec<_>>()
        .join(", ");
    let doc = format!(
        "The MCP tools of this service ({names}), for `ServerBuilder::tools` (generated by `#[tools]`)."
    );
    quote! {
        #item_impl

        #[automatically_derived]
        impl #impl_generics #self_ty #where_clause {
            #[doc = #doc]
            pub fn tools(
                self: ::std::sync::Arc<Self>,
            ) -> ::std::vec::Vec<::core::result::Result<#p::Tool, #p::RegistryError>> {
                #body
            }
        }

        #errors
    }
}

/// `#[tool]` or `#[some::path::tool]`.
fn is_tool_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "tool")
}

/// Removes our `#[arg(...)]` helper attributes and parameter doc comments (both read into the
/// schema), which the compiler would not accept on parameters.
fn strip_arg_attrs(sig: &mut syn::Signature) {
    for input in &mut sig.inputs {
        if let syn::FnArg::Typed(p) = input {
            p.attrs
                .retain(|a| !attr::is_arg_attr(a) && !a.path().is_ident("doc"));
        }
    }
}
