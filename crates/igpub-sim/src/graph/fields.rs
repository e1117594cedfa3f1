//! The `fields=` language: `id,caption,children{id,media_type},media.limit(10){id}`
//! (shared/graph-api.md §9.2).

use crate::error::MetaError;
use std::fmt;

/// One requested field, with its modifiers (`.limit(10)`) and nested selection (`{…}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub modifiers: Vec<(String, String)>,
    pub children: Option<Vec<Field>>,
}

impl Field {
    /// A plain field without modifiers or nesting.
    pub fn plain(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            modifiers: Vec::new(),
            children: None,
        }
    }

    /// The value of a modifier, e.g. `limit` of `media.limit(10)`.
    pub fn modifier(&self, name: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(modifier, _)| modifier == name)
            .map(|(_, value)| value.as_str())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.modifiers {
            write!(f, ".{name}({value})")?;
        }
        if let Some(children) = &self.children {
            write!(f, "{{{}}}", join(children))?;
        }
        Ok(())
    }
}

/// Writes a selection back in the `fields=` language.
pub fn join(fields: &[Field]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Plain fields from names.
pub fn plain(names: &[&str]) -> Vec<Field> {
    names.iter().map(|name| Field::plain(name)).collect()
}

/// Parses a `fields=` value. Errors are Meta's code 2500 syntax errors.
pub fn parse(input: &str) -> Result<Vec<Field>, MetaError> {
    let mut parser = Parser {
        input,
        chars: input.char_indices().collect(),
        at: 0,
    };
    let fields = parser.list(0)?;
    parser.skip_spaces();
    if parser.at < parser.chars.len() {
        return Err(parser.error("Expected end of string"));
    }
    Ok(fields)
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<(usize, char)>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).map(|(_, c)| *c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn error(&self, what: &str) -> MetaError {
        MetaError::new(
            2500,
            format!(
                "Syntax error \"{what}\" at character {}: {}",
                self.at, self.input
            ),
        )
    }

    fn list(&mut self, depth: usize) -> Result<Vec<Field>, MetaError> {
        let mut fields: Vec<Field> = Vec::new();
        loop {
            self.skip_spaces();
            let start = self.at;
            let field = self.field(depth)?;
            if fields.iter().any(|seen| seen.name == field.name) {
                self.at = start;
                return Err(self.error(&format!(
                    "Field {} specified more than once. This is only possible before version 2.1",
                    field.name
                )));
            }
            fields.push(field);
            self.skip_spaces();
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') if depth > 0 => return Ok(fields),
                None if depth == 0 => return Ok(fields),
                None => return Err(self.error("Expected \"}\" instead of end of string")),
                Some(other) => {
                    return Err(self.error(&format!("Unexpected \"{other}\"")));
                }
            }
        }
    }

    fn name(&mut self) -> Result<String, MetaError> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error("Expected a field name"));
        }
        Ok(self.chars[start..self.at].iter().map(|(_, c)| *c).collect())
    }

    fn field(&mut self, depth: usize) -> Result<Field, MetaError> {
        if depth > 8 {
            return Err(self.error("Fields are nested too deeply"));
        }
        let mut field = Field::plain(&self.name()?);
        loop {
            match self.peek() {
                Some('.') => {
                    self.at += 1;
                    let name = self.name()?;
                    let value = self.arguments()?;
                    field.modifiers.push((name, value));
                }
                Some('{') if field.children.is_none() => {
                    self.at += 1;
                    let children = self.list(depth + 1)?;
                    self.skip_spaces();
                    if self.peek() != Some('}') {
                        return Err(self.error("Expected \"}\""));
                    }
                    self.at += 1;
                    field.children = Some(children);
                }
                _ => return Ok(field),
            }
        }
    }

    /// The raw text between balanced parentheses.
    fn arguments(&mut self) -> Result<String, MetaError> {
        if self.peek() != Some('(') {
            return Err(self.error("Expected \"(\""));
        }
        self.at += 1;
        let start = self.at;
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let value = self.chars[start..self.at].iter().map(|(_, c)| *c).collect();
                        self.at += 1;
                        return Ok(value);
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
        Err(self.error("Expected \")\" instead of end of string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_and_modifiers_parse() {
        let fields =
            parse("id,media.limit(2){id,children{media_type}},insights.metric(reach,saved)")
                .unwrap_or_default();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1].modifier("limit"), Some("2"));
        let children = fields[1].children.clone().unwrap_or_default();
        assert_eq!(children[1].name, "children");
        assert_eq!(fields[2].modifier("metric"), Some("reach,saved"));
    }

    #[test]
    fn a_selection_prints_back_as_it_was_written() {
        let text = "id,media.limit(2){id,caption}";
        assert_eq!(join(&parse(text).unwrap_or_default()), text);
    }

    #[test]
    fn a_repeated_field_is_a_syntax_error() {
        let error = parse("id,id").err();
        assert_eq!(error.as_ref().map(|e| e.code), Some(2500));
        assert!(error.is_some_and(|e| e.message.contains("Field id specified more than once")));
    }

    #[test]
    fn unbalanced_braces_are_a_syntax_error() {
        assert!(parse("children{id").is_err());
        assert!(parse("id}").is_err());
        assert!(parse("a,,b").is_err());
    }
}
