//! The keys each table of `policy.toml` accepts, read from the serde model itself.
//!
//! [`tables_of`] drives a type's `Deserialize` impl with a deserializer that produces no data:
//! every struct it meets reports the `fields` it passes to `deserialize_struct` (so the keys
//! come from the derive, in declaration order, and cannot drift from the model), and the walk
//! goes on into each field. The values of maps are walked once under the wildcard
//! [`ANY_KEY`], so `tools.NAME` and `env.NAME` tables are found whatever their names.
//! `Spanned` wrappers are transparent. Sequences are not entered (no table of the file is an
//! array of tables).

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, Error, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::cell::RefCell;

/// The path segment that stands for any key of a map.
pub(super) const ANY_KEY: &str = "*";

/// A table of the model: where it is (map keys as [`ANY_KEY`]) and the keys it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Table {
    /// The keys leading to the table from the root.
    pub(super) path: Vec<&'static str>,
    /// The keys it accepts, in declaration order.
    pub(super) fields: &'static [&'static str],
}

impl Table {
    /// Whether this table is the one at `path` (actual keys of a file).
    pub(super) fn is_at(&self, path: &[&str]) -> bool {
        self.path.len() == path.len()
            && self
                .path
                .iter()
                .zip(path)
                .all(|(p, k)| *p == ANY_KEY || p == k)
    }
}

/// Every table (struct) that deserializing a `T` can meet, the root first.
pub(super) fn tables_of<T: for<'de> Deserialize<'de>>() -> Vec<Table> {
    let spanned = spanned_name();
    let out = RefCell::new(Vec::new());
    // A walk that fails stops early; what it recorded until then is still the model's.
    let _ = T::deserialize(Walk {
        path: Vec::new(),
        out: &out,
        spanned,
    });
    out.into_inner()
}

/// The struct name `toml::Spanned` deserializes itself with (so that it can be seen through).
fn spanned_name() -> Option<&'static str> {
    struct Probe<'a>(&'a RefCell<Option<&'static str>>);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            *self.0.borrow_mut() = Some(name);
            Err(de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let name = RefCell::new(None);
    let _ = toml::Spanned::<bool>::deserialize(Probe(&name));
    name.into_inner()
}

/// The deserializer of the walk, at one path of the model.
struct Walk<'o> {
    path: Vec<&'static str>,
    out: &'o RefCell<Vec<Table>>,
    spanned: Option<&'static str>,
}

impl<'o> Walk<'o> {
    fn at(&self, key: &'static str) -> Self {
        let mut path = self.path.clone();
        path.push(key);
        Walk {
            path,
            out: self.out,
            spanned: self.spanned,
        }
    }

    fn same(&self) -> Self {
        self.at_path(self.path.clone())
    }

    fn at_path(&self, path: Vec<&'static str>) -> Self {
        Walk {
            path,
            out: self.out,
            spanned: self.spanned,
        }
    }
}

/// The fields of one struct, each with the walk one level down.
struct Fields<'o> {
    walk: Walk<'o>,
    fields: std::slice::Iter<'static, &'static str>,
    next: Option<&'static str>,
    transparent: bool,
}

impl<'de> de::MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.next = Some(field);
        seed.deserialize(BorrowedStrDeserializer::<'de, Error>::new(field))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let walk = match (self.transparent, self.next.take()) {
            (false, Some(field)) => self.walk.at(field),
            _ => self.walk.same(),
        };
        seed.deserialize(walk)
    }
}

/// One entry of a map: any key, and its value under [`ANY_KEY`].
struct OneEntry<'o> {
    walk: Option<Walk<'o>>,
}

impl<'de> de::MapAccess<'de> for OneEntry<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match &self.walk {
            Some(walk) => seed.deserialize(walk.at_path(Vec::new())).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.walk.take() {
            Some(walk) => seed.deserialize(walk.at(ANY_KEY)),
            None => Err(de::Error::custom("no value")),
        }
    }
}

impl<'de> de::Deserializer<'de> for Walk<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(ANY_KEY)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(false)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_i64(0)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u64(0)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(0.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>()))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(OneEntry { walk: Some(self) })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let transparent = self.spanned == Some(name);
        if !transparent {
            self.out.borrow_mut().push(Table {
                path: self.path.clone(),
                fields,
            });
        }
        visitor.visit_map(Fields {
            walk: self,
            fields: fields.iter(),
            next: None,
            transparent,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let first: StrDeserializer<'static, Error> = variants
            .first()
            .copied()
            .unwrap_or_default()
            .into_deserializer();
        visitor.visit_enum(first)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 char str string bytes byte_buf unit_struct tuple
        tuple_struct identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::model::PolicyFile;

    #[test]
    fn the_model_s_tables_and_their_keys_come_from_the_derive() {
        let tables = tables_of::<PolicyFile>();
        let at = |path: &[&str]| {
            tables
                .iter()
                .find(|t| t.is_at(path))
                .map(|t| t.fields.to_vec())
        };
        assert_eq!(at(&["grants"]).unwrap(), ["scope", "role", "roles_claim"]);
        assert_eq!(
            at(&["env", "prod", "tools", "cancel_order"]).unwrap(),
            [
                "enabled",
                "require_scopes",
                "require_claims",
                "rate_limit",
                "condition",
                "mode",
                "approval"
            ]
        );
        assert_eq!(
            at(&["env", "prod", "auth"]).unwrap(),
            [
                "issuer",
                "audience",
                "jwks",
                "algorithms",
                "leeway",
                "authorization_servers",
                "token_cache"
            ]
        );
        assert_eq!(
            at(&["defaults", "principal"]).unwrap(),
            ["sub", "scopes", "claims"]
        );
        assert_eq!(at(&["tools"]), None, "a map of names, not a table of keys");
        assert_eq!(at(&["env", "prod", "principal", "claims"]), None);
    }
}
