//! `#[tools]` on an `impl` block: its `#[tool]`, `#[prompt]` and `#[resource]` methods become
//! the service's tools, prompts, resources and resource templates.
//!
//! Whatever goes wrong, the impl is emitted (minus our attributes) with the collection
//! methods whose bodies never run, so that one mistake gives one error and the call sites
//! keep compiling.

use crate::attr;
use crate::ctxt::Ctxt;
use crate::expand::{self, Ctor};
use crate::item::{self, ItemAttr, ItemDef, Which};
use crate::model::Site;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned as _;

/// `#[tools(...)]` on an inherent `impl` block.
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

    let mut defs: Vec<(ItemDef, syn::Ident)> = Vec::new();
    // What each marked method declares, even when its definition has errors, so that the
    // collection methods its callers use are generated either way.
    let mut ctors: Vec<&'static Ctor> = Vec::new();
    for impl_item in &mut item_impl.items {
        let syn::ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let (marks, rest): (Vec<_>, Vec<_>) =
            method.attrs.drain(..).partition(|a| Which::of(a).is_some());
        method.attrs = rest;
        let Some(first) = marks.first() else {
            continue;
        };
        let which = Which::of(first).expect("partitioned on `Which::of`");
        for again in &marks[1..] {
            let other = Which::of(again).expect("partitioned on `Which::of`");
            if other == which {
                cx.error_spanned_by(
                    again,
                    format!(
                        "`#[{}]` applied more than once; merge the keys into one attribute",
                        which.name()
                    ),
                );
            } else {
                cx.error_spanned_by(
                    again,
                    format!(
                        "`#[{}]` and `#[{}]` on one method; a method is one tool, prompt or resource: keep one",
                        which.name(),
                        other.name()
                    ),
                );
            }
        }
        let tokens = match &first.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::Path(_) => TokenStream::new(),
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(nv, format!("expected `#[{}(...)]`", which.name()));
                TokenStream::new()
            }
        };
        let attrs = ItemAttr::parse(which, &cx, tokens);
        if let Some(k) = &attrs.common().krate {
            cx.error_at(
                k.key,
                "set `crate` once, on the impl block: `#[tools(crate = \"...\")]`",
            );
        }
        ctors.push(attrs.ctor());
        let def = attrs.def(&cx, first.span(), &method.sig, &method.attrs, Site::Method);
        item::strip_arg_attrs(&mut method.sig);
        if let Some(def) = def {
            let (key, span) = def.key();
            if let Some((_, other)) = defs
                .iter()
                .find(|(d, _)| d.ctor() == def.ctor() && d.key().0 == key)
            {
                cx.error_at(span, def.duplicate_message(other));
            }
            let ident = method.sig.ident.clone();
            defs.push((def, ident));
        }
    }
    if ctors.is_empty() && !cx.has_errors() {
        cx.error_at(
            expand::call_site(),
            "`#[tools]` found no `#[tool(...)]` method in this impl block; mark the tool methods with `#[tool(...)]`",
        );
    }

    // `tools()` as before (also for an impl with no marked method at all), and one
    // collection method per other kind the impl declares.
    let mut wanted: Vec<&'static Ctor> = Vec::new();
    for ctor in [
        &expand::TOOL,
        &expand::PROMPT,
        &expand::RESOURCE,
        &expand::TEMPLATE,
    ] {
        if ctors.contains(&ctor) || (ctor == &expand::TOOL && ctors.is_empty()) {
            wanted.push(ctor);
        }
    }
    let (impl_generics, _, where_clause) = item_impl.generics.split_for_impl();
    let self_ty = &item_impl.self_ty;
    let (methods, errors) = match cx.check() {
        Ok(()) => {
            let methods = wanted.iter().map(|ctor| {
                let exprs = defs
                    .iter()
                    .filter(|(d, _)| d.ctor() == *ctor)
                    .map(|(def, ident)| {
                        let path = quote!(Self::#ident);
                        let this = def.receiver().then(|| quote!(&self));
                        def.expr(&krate, &path, this.as_ref())
                    });
                collection(&krate, ctor, &defs, quote!(::std::vec![#(#exprs),*]))
            });
            (methods.collect::<Vec<_>>(), None)
        }
        Err(e) => {
            let methods = wanted
                .iter()
                .map(|ctor| collection(&krate, ctor, &defs, expand::dummy_body(ctor.noun)));
            (methods.collect(), Some(e.into_compile_error()))
        }
    };
    quote! {
        #item_impl

        #[automatically_derived]
        impl #impl_generics #self_ty #where_clause {
            #(#methods)*
        }

        #errors
    }
}

/// `pub fn tools(self: Arc<Self>) -> Vec<Result<Tool, RegistryError>>`, or `prompts`,
/// `resources`, `resource_templates`.
fn collection(
    krate: &TokenStream,
    ctor: &Ctor,
    defs: &[(ItemDef, syn::Ident)],
    body: TokenStream,
) -> TokenStream {
    let names = defs
        .iter()
        .filter(|(d, _)| d.ctor() == ctor)
        .map(|(d, _)| format!("`{}`", d.key().0))
        .collect::<Vec<_>>()
        .join(", ");
    let doc = if ctor == &expand::TOOL {
        format!(
            "The MCP tools of this service ({names}), for `ServerBuilder::tools` (generated by `#[tools]`)."
        )
    } else {
        format!(
            "The MCP {}s of this service ({names}), each for `ServerBuilder::{}` (generated by `#[tools]`).",
            ctor.noun, ctor.method
        )
    };
    let name = format_ident!("{}", ctor.collection);
    let result = ctor.result_type(krate);
    quote! {
        #[doc = #doc]
        pub fn #name(self: ::std::sync::Arc<Self>) -> ::std::vec::Vec<#result> {
            #body
        }
    }
}
