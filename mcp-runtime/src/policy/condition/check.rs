//! The type checker of conditions: the `cel` crate parses and evaluates but does not check
//! types, so this walks the parsed tree for the subset of CEL a condition may use, with the
//! tool's arguments typed by its input schema.

use super::VARIABLES;
use crate::authz::ToolInput;
use crate::policy::diagnostic::did_you_mean;
use cel::IdedExpr;
use cel::common::ast::{CallExpr, Expr, LiteralValue, SelectExpr, operators};
use serde_json::Value;
use std::sync::Arc;

/// A type, as far as a condition can know it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    Bool,
    Num,
    Str,
    Null,
    /// Known only at run time (claims, resource attributes).
    Dyn,
    List(Box<Ty>),
    /// String keys, values of any type.
    Map,
    /// Known fields (the tool's arguments, `env`).
    Object(Arc<Object>),
}

#[derive(Debug, PartialEq)]
pub(super) struct Object {
    /// How the object is named in messages: `tool `cancel_order``, `env`.
    what: String,
    /// What its fields are called in messages: `argument`, `field`.
    field: &'static str,
    fields: Vec<(String, Ty)>,
}

impl Ty {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Num => "a number",
            Ty::Str => "a string",
            Ty::Null => "null",
            Ty::Dyn => "a value",
            Ty::List(_) => "a list",
            Ty::Map | Ty::Object(_) => "a map",
        }
    }

    /// Whether values of `self` and `other` can be compared for equality.
    fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Dyn, _) | (_, Ty::Dyn) | (Ty::Null, _) | (_, Ty::Null) => true,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            (Ty::Map | Ty::Object(_), Ty::Map | Ty::Object(_)) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    fn is(&self, want: &Ty) -> bool {
        matches!(self, Ty::Dyn) || self == want
    }
}

/// The type of a JSON Schema (`$ref`s into `$defs` resolved against `root`).
fn schema_ty(root: &Value, schema: &Value, depth: u8) -> Ty {
    if depth > 16 {
        return Ty::Dyn;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#/")
            .map(|p| p.split('/').try_fold(root, |v, k| v.get(k)));
        return match target {
            Some(Some(s)) => schema_ty(root, s, depth + 1),
            _ => Ty::Dyn,
        };
    }
    let prim = |t: &str| match t {
        "string" => Ty::Str,
        "integer" | "number" => Ty::Num,
        "boolean" => Ty::Bool,
        "null" => Ty::Null,
        "array" => Ty::List(Box::new(
            schema
                .get("items")
                .map_or(Ty::Dyn, |i| schema_ty(root, i, depth + 1)),
        )),
        "object" => object_ty(root, schema, depth, "object".to_owned(), "field"),
        _ => Ty::Dyn,
    };
    match schema.get("type") {
        Some(Value::String(t)) => prim(t),
        Some(Value::Array(types)) => {
            let mut non_null = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null");
            match (non_null.next(), non_null.next()) {
                (Some(t), None) => prim(t),
                _ => Ty::Dyn,
            }
        }
        _ => {
            let variants = ["anyOf", "oneOf", "allOf"]
                .iter()
                .find_map(|k| schema.get(*k).and_then(Value::as_array));
            if let Some(variants) = variants {
                let tys: Vec<Ty> = variants
                    .iter()
                    .map(|v| schema_ty(root, v, depth + 1))
                    .filter(|t| *t != Ty::Null)
                    .collect();
                return match tys.split_first() {
                    Some((first, rest)) if rest.iter().all(|t| t == first) => first.clone(),
                    _ => Ty::Dyn,
                };
            }
            if let Some(values) = schema.get("enum").and_then(Value::as_array)
                && values.iter().all(Value::is_string)
            {
                return Ty::Str;
            }
            if schema.get("properties").is_some() {
                return object_ty(root, schema, depth, "object".to_owned(), "field");
            }
            Ty::Dyn
        }
    }
}

fn object_ty(root: &Value, schema: &Value, depth: u8, what: String, field: &'static str) -> Ty {
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) => Ty::Object(Arc::new(Object {
            what,
            field,
            fields: props
                .iter()
                .map(|(k, v)| (k.clone(), schema_ty(root, v, depth + 1)))
                .collect(),
        })),
        None => Ty::Map,
    }
}

/// A mistake in a condition: where (a node of the tree) and what.
pub(super) struct Mistake {
    pub(super) at: u64,
    /// Point at the field of a selection rather than at its dot.
    pub(super) field: bool,
    pub(super) message: String,
    pub(super) help: Option<String>,
}

pub(super) fn mistake(at: &IdedExpr, message: String) -> Mistake {
    Mistake {
        at: at.id,
        field: false,
        message,
        help: None,
    }
}

/// How an expression reads in messages: `args.amount`, or `this expression`.
fn spelled(e: &IdedExpr) -> String {
    match &e.expr {
        Expr::Ident(n) => format!("`{n}`"),
        Expr::Select(SelectExpr {
            operand,
            field,
            test: false,
        }) if matches!(operand.expr, Expr::Ident(_) | Expr::Select(_)) => {
            format!("`{}.{field}`", spelled(operand).trim_matches('`'))
        }
        Expr::Literal(_) => "the literal".to_owned(),
        _ => "this expression".to_owned(),
    }
}

pub(super) struct Checker<'a> {
    pub(super) tool: &'a str,
    pub(super) input: Option<&'a ToolInput>,
    pub(super) uses_resource: bool,
}

impl Checker<'_> {
    fn args_ty(&self) -> Ty {
        let schema = self.input.map_or(&Value::Null, |i| &i.schema);
        match object_ty(
            schema,
            schema,
            0,
            format!("tool `{}`", self.tool),
            "argument",
        ) {
            Ty::Map => Ty::Object(Arc::new(Object {
                what: format!("tool `{}`", self.tool),
                field: "argument",
                fields: Vec::new(),
            })),
            t => t,
        }
    }

    pub(super) fn check(&mut self, e: &IdedExpr) -> Result<Ty, Mistake> {
        match &e.expr {
            Expr::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ok(Ty::Bool),
                LiteralValue::Int(_) | LiteralValue::UInt(_) | LiteralValue::Double(_) => {
                    Ok(Ty::Num)
                }
                LiteralValue::String(_) => Ok(Ty::Str),
                LiteralValue::Null => Ok(Ty::Null),
                LiteralValue::Bytes(_) => Err(mistake(
                    e,
                    "bytes literals are not supported in policy conditions".to_owned(),
                )),
            },
            Expr::Ident(name) => self.ident(e, name),
            Expr::Select(select) => self.select(e, select),
            Expr::List(list) => {
                let mut elem: Option<Ty> = None;
                for item in &list.elements {
                    let t = self.check(item)?;
                    elem = Some(match elem {
                        Some(prev) if prev == t => prev,
                        Some(_) => Ty::Dyn,
                        None => t,
                    });
                }
                Ok(Ty::List(Box::new(elem.unwrap_or(Ty::Dyn))))
            }
            Expr::Call(call) => self.call(e, call),
            Expr::Comprehension(_) => Err(mistake(
                e,
                "the macros `all`, `exists`, `exists_one`, `map` and `filter` are not supported in policy conditions; use `in`".to_owned(),
            )),
            Expr::Map(_) | Expr::Struct(_) => Err(mistake(
                e,
                "map and message literals are not supported in policy conditions".to_owned(),
            )),
            Expr::Unspecified => Err(mistake(e, "incomplete expression".to_owned())),
        }
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> Result<Ty, Mistake> {
        match name {
            "claims" => Ok(Ty::Map),
            "args" => Ok(self.args_ty()),
            "env" => Ok(Ty::Object(Arc::new(Object {
                what: "env".to_owned(),
                field: "field",
                fields: vec![("name".into(), Ty::Str), ("transport".into(), Ty::Str)],
            }))),
            "resource" => {
                if self
                    .input
                    .and_then(|i| i.resource_argument.as_ref())
                    .is_none()
                {
                    return Err(mistake(
                        e,
                        format!(
                            "tool `{}` names no resource, so a condition on it cannot read `resource` (the server declares one with `ServerBuilder::resource_argument`)",
                            self.tool
                        ),
                    ));
                }
                self.uses_resource = true;
                Ok(Ty::Map)
            }
            other => Err(Mistake {
                help: did_you_mean(other, VARIABLES),
                ..mistake(
                    e,
                    format!(
                        "unknown variable `{other}`: a condition reads {}",
                        VARIABLES.map(|v| format!("`{v}`")).join(", ")
                    ),
                )
            }),
        }
    }

    fn field(&self, e: &IdedExpr, obj: &Object, name: &str) -> Result<Ty, Mistake> {
        if let Some((_, t)) = obj.fields.iter().find(|(f, _)| f == name) {
            return Ok(t.clone());
        }
        let names: Vec<&str> = obj.fields.iter().map(|(f, _)| f.as_str()).collect();
        let has = if names.is_empty() {
            "none".to_owned()
        } else {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(Mistake {
            at: e.id,
            field: true,
            message: format!(
                "unknown {} `{name}` of {}, which has: {has}",
                obj.field, obj.what
            ),
            help: did_you_mean(name, names.iter().copied()),
        })
    }

    fn select(&mut self, e: &IdedExpr, select: &SelectExpr) -> Result<Ty, Mistake> {
        let operand = self.check(&select.operand)?;
        let t = match &operand {
            Ty::Object(obj) => self.field(e, obj, &select.field)?,
            Ty::Map | Ty::Dyn => Ty::Dyn,
            other => {
                return Err(mistake(
                    e,
                    format!(
                        "{} is {} and has no field `{}`",
                        spelled(&select.operand),
                        other.name(),
                        select.field
                    ),
                ));
            }
        };
        Ok(if select.test { Ty::Bool } else { t })
    }

    fn call(&mut self, e: &IdedExpr, call: &CallExpr) -> Result<Ty, Mistake> {
        let name = call.func_name.as_str();
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.check(a)?);
        }
        let target = match &call.target {
            Some(t) => Some(self.check(t)?),
            None => None,
        };
        let arg = |i: usize| &call.args[i];
        let want = |i: usize, t: &Ty, want: Ty, what: &str| -> Result<(), Mistake> {
            if t.is(&want) {
                Ok(())
            } else {
                Err(mistake(
                    arg(i),
                    format!(
                        "{what} needs {}, but {} is {}",
                        want.name(),
                        spelled(arg(i)),
                        t.name()
                    ),
                ))
            }
        };
        match (name, target.as_ref(), args.as_slice()) {
            (operators::LOGICAL_AND | operators::LOGICAL_OR, None, [a, b]) => {
                want(0, a, Ty::Bool, "`&&` and `||`")?;
                want(1, b, Ty::Bool, "`&&` and `||`")?;
                Ok(Ty::Bool)
            }
            (operators::LOGICAL_NOT, None, [a]) => {
                want(0, a, Ty::Bool, "`!`")?;
                Ok(Ty::Bool)
            }
            (operators::CONDITIONAL, None, [c, a, b]) => {
                want(0, c, Ty::Bool, "a `?:` condition")?;
                Ok(if a == b { a.clone() } else { Ty::Dyn })
            }
            (operators::EQUALS | operators::NOT_EQUALS, None, [a, b]) => {
                if a.comparable(b) {
                    Ok(Ty::Bool)
                } else {
                    Err(mistake(
                        e,
                        format!(
                            "{} is {} and cannot be compared with {}, which is {}",
                            spelled(arg(0)),
                            a.name(),
                            spelled(arg(1)),
                            b.name()
                        ),
                    ))
                }
            }
            (
                operators::LESS
                | operators::LESS_EQUALS
                | operators::GREATER
                | operators::GREATER_EQUALS,
                None,
                [a, b],
            ) => {
                let ordered = |t: &Ty| matches!(t, Ty::Num | Ty::Str | Ty::Dyn);
                if ordered(a) && ordered(b) && a.comparable(b) {
                    Ok(Ty::Bool)
                } else {
                    Err(mistake(
                        e,
                        format!(
                            "{} is {} and cannot be ordered against {}, which is {}",
                            spelled(arg(0)),
                            a.name(),
                            spelled(arg(1)),
                            b.name()
                        ),
                    ))
                }
            }
            (operators::ADD, None, [a, b]) => match (a, b) {
                (Ty::Num, Ty::Num) => Ok(Ty::Num),
                (Ty::Str, Ty::Str) => Ok(Ty::Str),
                (Ty::List(x), Ty::List(y)) if x == y => Ok(a.clone()),
                (Ty::Dyn, t) | (t, Ty::Dyn) if matches!(t, Ty::Num | Ty::Str | Ty::Dyn) => {
                    Ok(t.clone())
                }
                _ => Err(mistake(
                    e,
                    format!("`+` cannot add {} and {}", a.name(), b.name()),
                )),
            },
            (
                operators::SUBSTRACT | operators::MULTIPLY | operators::DIVIDE | operators::MODULO,
                None,
                [a, b],
            ) => {
                want(0, a, Ty::Num, "arithmetic")?;
                want(1, b, Ty::Num, "arithmetic")?;
                Ok(Ty::Num)
            }
            (operators::NEGATE, None, [a]) => {
                want(0, a, Ty::Num, "`-`")?;
                Ok(Ty::Num)
            }
            (operators::IN, None, [a, b]) => match b {
                Ty::List(elem) if a.comparable(elem) => Ok(Ty::Bool),
                Ty::Map | Ty::Object(_) if a.is(&Ty::Str) => Ok(Ty::Bool),
                Ty::Dyn => Ok(Ty::Bool),
                _ => Err(mistake(
                    e,
                    format!(
                        "`in` needs a list of the same type or a map on the right: {} is {}, {} is {}",
                        spelled(arg(0)),
                        a.name(),
                        spelled(arg(1)),
                        b.name()
                    ),
                )),
            },
            (operators::INDEX, None, [a, i]) => match a {
                Ty::List(elem) => {
                    want(1, i, Ty::Num, "a list index")?;
                    Ok((**elem).clone())
                }
                Ty::Map | Ty::Dyn => Ok(Ty::Dyn),
                Ty::Object(obj) => match &arg(1).expr {
                    Expr::Literal(LiteralValue::String(s)) => self.field(arg(1), obj, s),
                    _ => Err(mistake(
                        arg(1),
                        format!("index {} with a string literal", spelled(arg(0))),
                    )),
                },
                other => Err(mistake(
                    e,
                    format!(
                        "{} is {} and cannot be indexed",
                        spelled(arg(0)),
                        other.name()
                    ),
                )),
            },
            ("size", None, [a]) | ("size", Some(a), []) => {
                if matches!(a, Ty::Str | Ty::List(_) | Ty::Map | Ty::Object(_) | Ty::Dyn) {
                    Ok(Ty::Num)
                } else {
                    Err(mistake(e, format!("`size` of {}", a.name())))
                }
            }
            ("startsWith" | "endsWith" | "contains", Some(t), [a]) => {
                let subject = call.target.as_deref().unwrap_or(e);
                if !t.is(&Ty::Str) {
                    return Err(mistake(
                        subject,
                        format!(
                            "`{name}` needs a string, but {} is {}",
                            spelled(subject),
                            t.name()
                        ),
                    ));
                }
                want(0, a, Ty::Str, &format!("`{name}`"))?;
                Ok(Ty::Bool)
            }
            ("string", None, [_]) => Ok(Ty::Str),
            ("int" | "uint" | "double", None, [_]) => Ok(Ty::Num),
            _ => Err(mistake(
                e,
                format!(
                    "`{}` is not supported in policy conditions (supported: comparisons, `&&`, `||`, `!`, `?:`, arithmetic, `in`, indexing, `has`, `size`, `startsWith`, `endsWith`, `contains`, `string`, `int`, `uint`, `double`)",
                    name.trim_matches('_').trim_start_matches('@')
                ),
            )),
        }
    }
}
