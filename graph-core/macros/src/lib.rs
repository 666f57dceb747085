//! `#[derive(State)]` for graph-core: generates the typed partial update of a state struct and the
//! field-indexed `State` implementation the engine and checkpointers work with.
//!
//! ```ignore
//! #[derive(State, Clone, Default)]
//! struct Chat {
//!     topic: String,                 // overwrite (the default)
//!     #[state(append)] log: Vec<String>,
//!     #[state(append, keep_last = 40)] recent: Vec<String>,  // only the newest 40 stay
//!     #[state(add)] turns: u32,
//!     #[state(merge)] messages: Vec<Message>,   // Message: graph_core::Keyed
//!     #[state(reducer = keep_max)] best: i64,   // fn keep_max(current: &mut i64, update: i64)
//! }
//! // generates `ChatUpdate { topic: Option<String>, log: Option<FieldUpdate<Vec<String>>>, ... }`
//! // with one builder method per field: `ChatUpdate::default().topic("x").turns(1)`; a field
//! // with a reducer also takes an `Overwrite`: `.log(Overwrite(vec![]))`.
//! ```
//!
//! Generated code refers to graph-core as `::graph_core`, so the crate must be a dependency under
//! that name. (The example above is not compiled here, since a proc-macro crate cannot use its
//! own derive; graph-core's tests compile and run each attribute.)

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Ident, Path, Type, parse_macro_input};

/// Derives `graph_core::State` and generates `<Name>Update`. See the crate docs.
#[proc_macro_derive(State, attributes(state))]
pub fn derive_state(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

enum Kind {
    Overwrite,
    /// With `keep_last = n` (a `usize` expression, a literal or a constant), only the newest
    /// `n` items stay.
    Append(Option<syn::Expr>),
    Add,
    Merge,
    Custom(Path),
}

struct FieldSpec {
    ident: Ident,
    ty: Type,
    update_ty: Type,
    kind: Kind,
}

impl FieldSpec {
    /// Whether the field has a reducer, so an update may also overwrite it.
    fn has_reducer(&self) -> bool {
        !matches!(self.kind, Kind::Overwrite)
    }

    /// The type of the field's slot in the update: its update type, or for a field with a
    /// reducer, a `FieldUpdate` that may also be an overwrite.
    fn slot_ty(&self, gc: &TokenStream2) -> TokenStream2 {
        let FieldSpec { ty, update_ty, .. } = self;
        if self.has_reducer() {
            quote!(#gc::FieldUpdate<#update_ty, #ty>)
        } else {
            quote!(#update_ty)
        }
    }
}

struct ContainerSpec {
    schema: bool,
}

fn parse_container(input: &DeriveInput) -> syn::Result<ContainerSpec> {
    let mut spec = ContainerSpec { schema: false };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("state")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("schema") {
                spec.schema = true;
                Ok(())
            } else {
                Err(meta.error("unknown container attribute; expected `schema`"))
            }
        })?;
    }
    Ok(spec)
}

fn parse_field(field: &syn::Field) -> syn::Result<FieldSpec> {
    let ident = field.ident.clone().expect("named field");
    let mut kind: Option<Kind> = None;
    let mut update_ty: Option<Type> = None;
    let mut keep_last: Option<(syn::Expr, Span)> = None;
    let mut set = |k: Kind, span: Span| -> syn::Result<()> {
        if kind.is_some() {
            return Err(syn::Error::new(span, "a field has at most one reducer"));
        }
        kind = Some(k);
        Ok(())
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("state")) {
        attr.parse_nested_meta(|meta| {
            let span = meta
                .path
                .get_ident()
                .map_or_else(Span::call_site, Ident::span);
            if meta.path.is_ident("append") {
                set(Kind::Append(None), span)
            } else if meta.path.is_ident("keep_last") {
                let n: syn::Expr = meta.value()?.parse()?;
                keep_last = Some((n, span));
                Ok(())
            } else if meta.path.is_ident("add") {
                set(Kind::Add, span)
            } else if meta.path.is_ident("merge") {
                set(Kind::Merge, span)
            } else if meta.path.is_ident("reducer") {
                let path: Path = meta.value()?.parse()?;
                set(Kind::Custom(path), span)
            } else if meta.path.is_ident("update") {
                update_ty = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown field attribute; expected `append`, `keep_last = n`, `add`, \
                     `merge`, `reducer = path` or `update = Type`",
                ))
            }
        })?;
    }
    let mut kind = kind.unwrap_or(Kind::Overwrite);
    if let Some((n, span)) = keep_last {
        let zero = matches!(&n, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })
            if i.base10_parse::<usize>().is_ok_and(|n| n == 0));
        match &mut kind {
            Kind::Append(_) if zero => {
                return Err(syn::Error::new(
                    span,
                    "`keep_last` must keep at least 1 item",
                ));
            }
            Kind::Append(keep) => *keep = Some(n),
            _ => {
                return Err(syn::Error::new(
                    span,
                    "`keep_last = n` is only allowed together with `append`",
                ));
            }
        }
    }
    if update_ty.is_some() && !matches!(kind, Kind::Custom(_)) {
        return Err(syn::Error::new_spanned(
            &ident,
            "`update = Type` is only allowed together with `reducer = path`",
        ));
    }
    let ty = field.ty.clone();
    Ok(FieldSpec {
        update_ty: update_ty.unwrap_or_else(|| ty.clone()),
        ident,
        ty,
        kind,
    })
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(State)] does not support generic structs",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(State)] needs a struct",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(State)] needs a struct with named fields",
        ));
    };
    let container = parse_container(input)?;
    let fields = named
        .named
        .iter()
        .map(parse_field)
        .collect::<syn::Result<Vec<_>>>()?;

    let vis = &input.vis;
    let name = &input.ident;
    let update = format_ident!("{}Update", name);
    let gc = quote!(::graph_core);

    let update_doc = format!("A partial update of [`{name}`]: `None` leaves a field alone.");
    let update_fields = fields.iter().map(|f| {
        let ident = &f.ident;
        let slot_ty = f.slot_ty(&gc);
        let doc = format!("The update of `{ident}`, if written.");
        quote! {
            #[doc = #doc]
            #[serde(default, skip_serializing_if = "::core::option::Option::is_none")]
            pub #ident: ::core::option::Option<#slot_ty>,
        }
    });
    let setters = fields.iter().map(|f| {
        let FieldSpec {
            ident,
            ty,
            update_ty,
            ..
        } = f;
        if f.has_reducer() {
            let doc = format!(
                "Sets the update of `{ident}`: a value its reducer combines, or \
                 `Overwrite(value)` to replace it."
            );
            quote! {
                #[doc = #doc]
                #[must_use]
                // The parameter's name cannot be a user type's (it would shadow it in
                // `#update_ty`), hence the long one.
                pub fn #ident<IntoFieldUpdateHow>(
                    mut self,
                    value: impl #gc::IntoFieldUpdate<#update_ty, #ty, IntoFieldUpdateHow>,
                ) -> Self {
                    self.#ident = ::core::option::Option::Some(value.into_field_update());
                    self
                }
            }
        } else {
            let doc = format!("Sets the update of `{ident}`.");
            quote! {
                #[doc = #doc]
                #[must_use]
                pub fn #ident(mut self, value: impl ::core::convert::Into<#update_ty>) -> Self {
                    self.#ident = ::core::option::Option::Some(value.into());
                    self
                }
            }
        }
    });
    let schema_attrs = if container.schema {
        quote! {
            #[derive(#gc::__private::schemars::JsonSchema)]
            #[schemars(crate = "::graph_core::__private::schemars")]
        }
    } else {
        quote!()
    };

    let field_infos = fields.iter().map(|f| {
        let fname = f.ident.to_string();
        let reducer = match f.kind {
            Kind::Overwrite => quote!(Overwrite),
            Kind::Append(_) => quote!(Append),
            Kind::Add => quote!(Add),
            Kind::Merge => quote!(Merge),
            Kind::Custom(_) => quote!(Custom),
        };
        quote!(#gc::Field { name: #fname, reducer: #gc::Reducer::#reducer })
    });

    // `reduce(target, value)` for one field, as a statement returning `Result<(), ReduceError>`.
    let reduce = |f: &FieldSpec, value: TokenStream2| -> TokenStream2 {
        let ident = &f.ident;
        let fname = ident.to_string();
        match &f.kind {
            Kind::Overwrite => quote!({ self.#ident = #value; }),
            Kind::Append(None) => quote!(#gc::reducers::append(&mut self.#ident, #value);),
            Kind::Append(Some(n)) => {
                quote!(#gc::reducers::append_keep_last(&mut self.#ident, #value, #n);)
            }
            Kind::Add => quote!(#gc::reducers::add(#fname, &mut self.#ident, #value)?;),
            Kind::Merge => quote!(#gc::reducers::merge(#fname, &mut self.#ident, #value)?;),
            Kind::Custom(path) => quote!(#path(&mut self.#ident, #value);),
        }
    };
    // Applies `value`, of the field's slot type, as a statement returning
    // `Result<(), ReduceError>`: through the reducer, or replacing the field for an overwrite.
    let write = |f: &FieldSpec, value: TokenStream2| -> TokenStream2 {
        let ident = &f.ident;
        let body = reduce(f, quote!(value));
        if f.has_reducer() {
            quote! {
                match #value {
                    #gc::FieldUpdate::Reduce(value) => { #body }
                    #gc::FieldUpdate::Overwrite(value) => { self.#ident = value; }
                }
            }
        } else {
            quote!({ let value = #value; #body })
        }
    };
    let apply_arms = fields.iter().map(|f| {
        let ident = &f.ident;
        let body = write(f, quote!(value));
        quote! {
            if let ::core::option::Option::Some(value) = update.#ident { #body }
        }
    });
    let written = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote!(if update.#ident.is_some() { visit(#i); })
    });
    let overwritten = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.has_reducer())
        .map(|(i, f)| {
            let ident = &f.ident;
            quote! {
                if update.#ident.as_ref().is_some_and(#gc::FieldUpdate::is_overwrite) {
                    visit(#i);
                }
            }
        });
    let clear = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote!(#i => update.#ident = ::core::option::Option::None,)
    });
    let is_empty = fields.iter().map(|f| {
        let ident = &f.ident;
        quote!(&& self.#ident.is_none())
    });
    let encode = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote!(#i => #gc::__private::serde_json::to_vec(&self.#ident),)
    });
    let decode = fields.iter().enumerate().map(|(i, f)| {
        let FieldSpec { ident, ty, .. } = f;
        quote!(#i => {
            self.#ident = #gc::__private::serde_json::from_slice::<#ty>(bytes)?;
            ::core::result::Result::Ok(())
        })
    });
    let encode_update = fields.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote!(#i => update.#ident.as_ref().map(#gc::__private::serde_json::to_vec),)
    });
    let apply_updates = fields.iter().enumerate().map(|(i, f)| {
        let slot_ty = f.slot_ty(&gc);
        let body = write(f, quote!(value));
        quote!(#i => {
            let values = #gc::__private::serde_json::from_slice::<::std::vec::Vec<#slot_ty>>(bytes)?;
            let mut apply = |value: #slot_ty| -> ::core::result::Result<(), #gc::ReduceError> {
                #body
                ::core::result::Result::Ok(())
            };
            for value in values { apply(value)?; }
            ::core::result::Result::Ok(())
        })
    });
    // `State::diff`: the net change of each field, as `fn diff` documents.
    let diff_arms = fields.iter().map(|f| {
        let ident = &f.ident;
        let json = quote!(#gc::__private::serde_json::to_vec);
        let reduce = quote!(#gc::FieldUpdate::Reduce);
        let overwrite = quote!(#gc::FieldUpdate::Overwrite);
        let changed = quote!(#json(&before.#ident)? != #json(&after.#ident)?);
        let set = |value: TokenStream2| quote!(update.#ident = ::core::option::Option::Some(#value););
        match &f.kind {
            Kind::Overwrite => {
                let set = set(quote!(::core::clone::Clone::clone(&after.#ident)));
                quote!(if #changed { #set })
            }
            // Items after the old ones, when the old ones are still there in front. (A
            // `keep_last` list that dropped its oldest items is replaced.)
            Kind::Append(_) => {
                let grown = set(quote!(#reduce(after.#ident[n..].to_vec())));
                let replaced = set(quote!(#overwrite(::core::clone::Clone::clone(&after.#ident))));
                quote! {{
                    let n = before.#ident.len();
                    if after.#ident.len() < n || #json(&after.#ident[..n])? != #json(&before.#ident)? {
                        #replaced
                    } else if after.#ident.len() > n {
                        #grown
                    }
                }}
            }
            // `merge` replaces in place and appends new keys: when the old keys are still there in
            // front, in order, the changed items and the new ones merge into the new value.
            Kind::Merge => {
                let merged = set(quote!(#reduce(items)));
                let replaced = set(quote!(#overwrite(::core::clone::Clone::clone(&after.#ident))));
                quote! {{
                    let n = before.#ident.len();
                    let kept = after.#ident.len() >= n
                        && before.#ident.iter().zip(after.#ident.iter())
                            .all(|(old, new)| #gc::Keyed::key(old) == #gc::Keyed::key(new));
                    if kept {
                        let mut items = ::std::vec::Vec::new();
                        for (old, new) in before.#ident.iter().zip(after.#ident.iter()) {
                            if #json(old)? != #json(new)? {
                                items.push(::core::clone::Clone::clone(new));
                            }
                        }
                        items.extend(after.#ident[n..].iter().cloned());
                        if !items.is_empty() {
                            #merged
                        }
                    } else {
                        #replaced
                    }
                }}
            }
            Kind::Add => {
                let value = quote! {
                    match #gc::Summable::checked_diff(after.#ident, before.#ident) {
                        ::core::option::Option::Some(d) => #reduce(d),
                        ::core::option::Option::None => #overwrite(after.#ident),
                    }
                };
                let set = set(value);
                quote!(if #changed { #set })
            }
            // A custom reducer's updates cannot be recovered from two values.
            Kind::Custom(_) => {
                let set = set(quote!(#overwrite(::core::clone::Clone::clone(&after.#ident))));
                quote!(if #changed { #set })
            }
        }
    });
    let count = fields.len();
    let out_of_range = quote! {
        _ => ::core::panic!("field index {} out of range for a state with {} fields", index, #count)
    };

    Ok(quote! {
        #[doc = #update_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::default::Default, ::core::cmp::PartialEq)]
        #[derive(#gc::__private::serde::Serialize, #gc::__private::serde::Deserialize)]
        #[serde(crate = "::graph_core::__private::serde", deny_unknown_fields)]
        #schema_attrs
        #vis struct #update {
            #(#update_fields)*
        }

        impl #update {
            #(#setters)*
        }

        impl #gc::Update for #update {
            type State = #name;
            fn is_empty(&self) -> bool {
                true #(#is_empty)*
            }
        }

        impl #gc::State for #name {
            type Update = #update;

            const FIELDS: &'static [#gc::Field] = &[#(#field_infos),*];

            #[allow(unused_variables, clippy::unit_arg)]
            fn apply(&mut self, update: #update) -> ::core::result::Result<(), #gc::ReduceError> {
                #(#apply_arms)*
                ::core::result::Result::Ok(())
            }

            fn written_fields(update: &#update, visit: &mut dyn ::core::ops::FnMut(usize)) {
                #(#written)*
            }

            #[allow(unused_variables)]
            fn overwritten_fields(update: &#update, visit: &mut dyn ::core::ops::FnMut(usize)) {
                #(#overwritten)*
            }

            fn clear_field(update: &mut #update, index: usize) {
                match index {
                    #(#clear)*
                    // As in the other index-addressed methods: the engine passes only indices
                    // of `FIELDS`, so any other is a bug in the caller.
                    #out_of_range
                }
            }

            fn encode_field(&self, index: usize) -> #gc::__private::serde_json::Result<::std::vec::Vec<u8>> {
                match index {
                    #(#encode)*
                    #out_of_range
                }
            }

            fn decode_field(&mut self, index: usize, bytes: &[u8]) -> #gc::__private::serde_json::Result<()> {
                match index {
                    #(#decode)*
                    #out_of_range
                }
            }

            fn encode_field_update(
                update: &#update,
                index: usize,
            ) -> ::core::option::Option<#gc::__private::serde_json::Result<::std::vec::Vec<u8>>> {
                match index {
                    #(#encode_update)*
                    #out_of_range
                }
            }

            #[allow(unused_variables)]
            fn diff(
                before: &Self,
                after: &Self,
            ) -> #gc::__private::serde_json::Result<#update> {
                let mut update = <#update as ::core::default::Default>::default();
                #(#diff_arms)*
                ::core::result::Result::Ok(update)
            }

            #[allow(clippy::unit_arg)]
            fn apply_field_updates(
                &mut self,
                index: usize,
                bytes: &[u8],
            ) -> ::core::result::Result<(), #gc::FieldUpdateError> {
                match index {
                    #(#apply_updates)*
                    #out_of_range
                }
            }
        }
    })
}
