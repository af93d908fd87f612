//! Code generation from the validated model: registration through `Tool::builder`, reaching
//! the runtime only through `<crate>::__private`.

use crate::model::{Access, ParamKind, ToolDef};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;

/// The path generated code uses for the runtime crate: `::mcp_runtime`, or `crate = "..."`.
pub(crate) fn runtime_path(krate: Option<syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path),
        None => quote!(::mcp_runtime),
    }
}

/// An expression of type `Result<Tool, RegistryError>` defining `def`.
///
/// `this` is the expression of an `Arc<Self>` to call a method on, or `None` for a free
/// function or an associated function (`path` then names it).
pub(crate) fn tool_expr(
    krate: &TokenStream,
    def: &ToolDef,
    call_path: &TokenStream,
    this: Option<&TokenStream>,
) -> TokenStream {
    let p = quote!(#krate::__private);
    let name = syn::LitStr::new(&def.name, def.name_span);
    let description = &def.description;
    let title = def.title.as_ref().map(|t| quote!(.title(#t)));
    let access = match &def.access {
        Access::Public => quote!(.public()),
        Access::Scopes(scopes) => quote!(.scopes([#(#scopes),*])),
    };
    let hints = def.hints.iter().map(|(method, value)| {
        let method = format_ident!("{}", method);
        quote!(.#method(#value))
    });

    // inputSchema
    let mut schema = quote!(#p::InputSchema::new());
    let mut whole = None;
    for param in &def.params {
        let ty = &param.ty;
        match &param.kind {
            ParamKind::Arg { name, description } => {
                let description = match description {
                    Some(d) => quote!(::core::option::Option::Some(#d)),
                    None => quote!(::core::option::Option::None),
                };
                let param_fn = quote_spanned!(ty.span()=> #p::InputSchema::param::<#ty>);
                schema = quote!(#param_fn(#schema, #name, #description));
            }
            ParamKind::Flatten => {
                whole = Some(quote_spanned!(ty.span()=> #p::InputSchema::whole::<#ty>()));
            }
            ParamKind::Context => {}
        }
    }
    let input_schema = whole.unwrap_or_else(|| quote!(#p::InputSchema::build(#schema)));

    // The handler: extract each parameter, call, convert the output.
    let mut bindings = Vec::new();
    let mut args = Vec::new();
    for (i, param) in def.params.iter().enumerate() {
        let var = format_ident!("__mcp_p{}", i);
        let ty = &param.ty;
        let extract = match &param.kind {
            ParamKind::Context => {
                let f = quote_spanned!(ty.span()=> #p::inject::<#ty>);
                quote!(#f(&__mcp_ctx))
            }
            ParamKind::Arg { name, .. } => {
                let f = quote_spanned!(ty.span()=> #p::take_arg::<#ty>);
                quote!(#f(&mut __mcp_args, #name))
            }
            ParamKind::Flatten => {
                let f = quote_spanned!(ty.span()=> #p::whole_args::<#ty>);
                quote!(#f(::core::mem::take(&mut __mcp_args)))
            }
        };
        bindings.push(quote! {
            let #var = match #extract {
                ::core::result::Result::Ok(__mcp_value) => __mcp_value,
                ::core::result::Result::Err(__mcp_error) => return ::core::result::Result::Err(__mcp_error),
            };
        });
        args.push(var);
    }
    let output = &def.output;
    let output_fn = quote_spanned!(output.span()=> #p::output::<#output>);
    let output_schema_fn = quote_spanned!(output.span()=> #p::output_schema::<#output>);
    let call = match this {
        Some(_) => quote!(#call_path(&*__mcp_this, #(#args),*)),
        None => quote!(#call_path(#(#args),*)),
    };
    let body = quote! {
        #[allow(unused_mut)]
        let mut __mcp_args = __mcp_args;
        #(#bindings)*
        #output_fn(#call.await)
    };
    let handler = match this {
        Some(this) => quote! {
            {
                let __mcp_service = ::std::sync::Arc::clone(#this);
                move |__mcp_ctx: #p::ToolContext, __mcp_args: #p::Arguments| {
                    let __mcp_this = ::std::sync::Arc::clone(&__mcp_service);
                    async move { #body }
                }
            }
        },
        None => quote! {
            |__mcp_ctx: #p::ToolContext, __mcp_args: #p::Arguments| async move { #body }
        },
    };

    quote! {
        {
            let __mcp_builder = #p::Tool::builder(#name)
                .description(#description)
                #title
                #access
                #(#hints)*
                .input_schema(#input_schema);
            #p::with_output_schema(__mcp_builder, #output_schema_fn())
                .handler(#handler)
                .build()
        }
    }
}

/// The registration function of a free `#[tool]` function: `fn <name>_tool()`.
pub(crate) fn free_fn(
    krate: &TokenStream,
    vis: &syn::Visibility,
    fn_ident: &syn::Ident,
    body: TokenStream,
) -> TokenStream {
    let p = quote!(#krate::__private);
    let tool_fn = format_ident!("{}_tool", fn_ident, span = fn_ident.span());
    let doc = format!(
        "The MCP tool defined by [`{fn_ident}`], for `ServerBuilder::tool` (generated by `#[tool]`)."
    );
    quote! {
        #[doc = #doc]
        #vis fn #tool_fn() -> ::core::result::Result<#p::Tool, #p::RegistryError> {
            #body
        }
    }
}

/// A body that never runs, for the registration function of a tool with errors: the errors
/// are reported once, at the attribute, and call sites still compile.
pub(crate) fn dummy_body() -> TokenStream {
    quote!(::core::unreachable!("this tool failed to compile"))
}

/// A span for generated items that should point at the macro call.
pub(crate) fn call_site() -> Span {
    Span::call_site()
}
