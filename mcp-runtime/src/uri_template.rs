//! [`UriTemplate`]: level-1 RFC 6570 URI templates (literal text and `{variable}`
//! expressions), parsed once and matched against URIs to recover the variables' values.

use std::collections::BTreeMap;

/// A level-1 RFC 6570 URI template: literal text and `{variable}` expressions.
///
/// A variable matches one or more characters up to the next literal text, never a `/`.
///
/// ```
/// use mcp_runtime::registry::UriTemplate;
///
/// let template = UriTemplate::parse("db://{table}/rows/{id}").expect("a valid template");
/// assert_eq!(template.variables().collect::<Vec<_>>(), ["table", "id"]);
///
/// let vars = template.matches("db://users/rows/7").expect("it matches");
/// assert_eq!((vars["table"].as_str(), vars["id"].as_str()), ("users", "7"));
///
/// // A variable never spans a `/`, and operators such as `{+path}` are refused.
/// assert!(template.matches("db://users/rows/7/8").is_none());
/// assert!(UriTemplate::parse("files://{+path}").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(String),
}

impl UriTemplate {
    /// Parses `template`.
    ///
    /// # Errors
    /// What is wrong: an unclosed or empty `{}`, an operator (`{+x}`, `{/x}`…, which this
    /// implementation does not support), two variables in a row, or a repeated variable.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| "an unclosed `{`".to_owned())?
                + open;
            let name = &rest[open + 1..close];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            {
                return Err(format!(
                    "`{{{name}}}`: only simple `{{name}}` variables (A-Z, a-z, 0-9, `_`, `.`) are supported"
                ));
            }
            if matches!(parts.last(), Some(Part::Var(_))) {
                return Err(format!(
                    "`{{{name}}}` follows another variable directly; separate them with literal text"
                ));
            }
            if parts.iter().any(|p| *p == Part::Var(name.to_owned())) {
                return Err(format!("the variable `{name}` appears twice"));
            }
            parts.push(Part::Var(name.to_owned()));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err("a `}` without `{`".to_owned());
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The variable names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The variables' values when `uri` matches the template.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var(name) => {
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || value.contains('/') {
                        return None;
                    }
                    vars.insert(name.clone(), value.to_owned());
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_level_one_variables() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["id"]);
        let vars = t.matches("test://template/123/data").unwrap();
        assert_eq!(vars["id"], "123");
        assert!(t.matches("test://template//data").is_none());
        assert!(t.matches("test://template/1/2/data").is_none());
        assert!(t.matches("test://template/123/data/more").is_none());
        assert!(t.matches("other://template/123/data").is_none());
        let two = UriTemplate::parse("db://{table}/{row}").unwrap();
        let vars = two.matches("db://users/7").unwrap();
        assert_eq!(
            (vars["table"].as_str(), vars["row"].as_str()),
            ("users", "7")
        );
    }
}
