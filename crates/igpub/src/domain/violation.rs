//! How a broken post is reported: every violation at once, each naming the field, the rule and,
//! in a sentence, the measured value and the limit.

use std::fmt;

use serde::Serialize;

/// The rule a value broke, as a stable machine-readable name (`"max_length"`, …).
///
/// Clients may switch on it; the human sentence is in [`Violation::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The JSON does not have the shape of a post (a wrong type, a syntax error, a bad enum value).
    InvalidJson,
    /// The JSON names a field a post does not have.
    UnknownField,
    /// A value the post needs is missing.
    Required,
    /// A text value is empty or blank where a value is needed.
    Empty,
    /// A text is longer than Instagram allows.
    MaxLength,
    /// A caption carries more hashtags than Instagram allows.
    TooManyHashtags,
    /// A caption carries more @mentions than Instagram allows.
    TooManyMentions,
    /// A post has fewer media items than its kind needs.
    TooFewMedia,
    /// A post has more media items than its kind allows.
    TooManyMedia,
    /// A post names more collaborators than Instagram allows.
    TooManyCollaborators,
    /// The same value is listed twice where each must be unique.
    Duplicate,
    /// A field is set that this kind of post (or this kind of media) does not support.
    NotAllowedForKind,
    /// A media item is an image where a video is needed, or the reverse.
    WrongMediaType,
    /// A media item's type is not given and its URL does not tell.
    UnknownMediaType,
    /// A text contains a character its rule does not allow.
    InvalidCharacter,
    /// A URL cannot be parsed.
    InvalidUrl,
    /// A URL is not `http` or `https`.
    UnsupportedScheme,
    /// A URL contains characters outside US-ASCII.
    NonAsciiUrl,
    /// A URL has no host.
    MissingHost,
    /// A URL carries a user name or password.
    UrlCredentials,
    /// A number lies outside its allowed range.
    OutOfRange,
    /// A user tag on an image has no position, or only half of one.
    PositionRequired,
    /// An id that must be numeric is not.
    NotNumeric,
    /// `publish_at` is not an RFC 3339 instant, `"now"`, or a local time with a time zone.
    InvalidInstant,
    /// A local date-time cannot be parsed.
    InvalidLocalTime,
    /// A time zone name is not in the IANA time zone database.
    UnknownTimeZone,
    /// A local time falls in a daylight-saving gap and never shows on the clock.
    NonexistentLocalTime,
    /// A publish time lies in the past.
    InThePast,
}

impl Rule {
    /// Every rule, for documentation and for clients that list them.
    pub const ALL: [Rule; 28] = [
        Rule::InvalidJson,
        Rule::UnknownField,
        Rule::Required,
        Rule::Empty,
        Rule::MaxLength,
        Rule::TooManyHashtags,
        Rule::TooManyMentions,
        Rule::TooFewMedia,
        Rule::TooManyMedia,
        Rule::TooManyCollaborators,
        Rule::Duplicate,
        Rule::NotAllowedForKind,
        Rule::WrongMediaType,
        Rule::UnknownMediaType,
        Rule::InvalidCharacter,
        Rule::InvalidUrl,
        Rule::UnsupportedScheme,
        Rule::NonAsciiUrl,
        Rule::MissingHost,
        Rule::UrlCredentials,
        Rule::OutOfRange,
        Rule::PositionRequired,
        Rule::NotNumeric,
        Rule::InvalidInstant,
        Rule::InvalidLocalTime,
        Rule::UnknownTimeZone,
        Rule::NonexistentLocalTime,
        Rule::InThePast,
    ];

    /// The rule's machine-readable name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::InvalidJson => "invalid_json",
            Rule::UnknownField => "unknown_field",
            Rule::Required => "required",
            Rule::Empty => "empty",
            Rule::MaxLength => "max_length",
            Rule::TooManyHashtags => "too_many_hashtags",
            Rule::TooManyMentions => "too_many_mentions",
            Rule::TooFewMedia => "too_few_media",
            Rule::TooManyMedia => "too_many_media",
            Rule::TooManyCollaborators => "too_many_collaborators",
            Rule::Duplicate => "duplicate",
            Rule::NotAllowedForKind => "not_allowed_for_kind",
            Rule::WrongMediaType => "wrong_media_type",
            Rule::UnknownMediaType => "unknown_media_type",
            Rule::InvalidCharacter => "invalid_character",
            Rule::InvalidUrl => "invalid_url",
            Rule::UnsupportedScheme => "unsupported_scheme",
            Rule::NonAsciiUrl => "non_ascii_url",
            Rule::MissingHost => "missing_host",
            Rule::UrlCredentials => "url_credentials",
            Rule::OutOfRange => "out_of_range",
            Rule::PositionRequired => "position_required",
            Rule::NotNumeric => "not_numeric",
            Rule::InvalidInstant => "invalid_instant",
            Rule::InvalidLocalTime => "invalid_local_time",
            Rule::UnknownTimeZone => "unknown_time_zone",
            Rule::NonexistentLocalTime => "nonexistent_local_time",
            Rule::InThePast => "in_the_past",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule of one field of a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// The JSON path of the field, as in the input: `caption`, `media[2].alt_text`,
    /// `publish_at.time_zone`.
    pub field: String,
    /// The rule, machine-readable.
    pub rule: Rule,
    /// A sentence for a person, starting with the field and naming the measured value and the
    /// limit: `media[2].alt_text: alt text is 1,204 characters; Instagram allows at most 1,000`.
    pub message: String,
}

impl Violation {
    /// A violation of `rule` at `field`, with `detail` (the sentence without the field). An empty
    /// `field` stands for the whole input.
    pub fn new(field: impl Into<String>, rule: Rule, detail: impl fmt::Display) -> Self {
        let field = field.into();
        // The root of the input (a JSON syntax error) has no field to name.
        let message = if field.is_empty() {
            detail.to_string()
        } else {
            format!("{field}: {detail}")
        };
        Self {
            field,
            rule,
            message,
        }
    }

    /// The violation that `fault` describes, placed at `field` (plus the fault's own sub-path).
    pub fn of(field: &str, fault: &impl Fault) -> Self {
        Self::new(format!("{field}{}", fault.path()), fault.rule(), fault)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A problem found by one of the domain parsers, before it is placed at a field of a post.
///
/// Its `Display` is the sentence without the field name; [`Violation::of`] adds the field.
pub trait Fault: std::error::Error {
    /// The rule this problem breaks.
    fn rule(&self) -> Rule;

    /// Where inside the parsed value the problem sits, relative to it: `"[3]"`, `".time_zone"`,
    /// or `""` for the value itself.
    fn path(&self) -> String {
        String::new()
    }
}

/// Every problem one parser found in one value (never empty).
///
/// Parsers of values that can break several rules at once (a caption can be too long AND carry too
/// many hashtags) return all of them, so a post's author fixes everything in one pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Problems<E>(Vec<E>);

impl<E> Problems<E> {
    /// `Ok(())` when `problems` is empty, or the problems.
    pub(crate) fn check(problems: Vec<E>) -> Result<(), Self> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Self(problems))
        }
    }

    /// A single problem.
    pub(crate) fn one(problem: E) -> Self {
        Self(vec![problem])
    }

    /// `problems`, which the caller knows to hold at least one.
    pub(crate) fn from_nonempty(problems: Vec<E>) -> Self {
        debug_assert!(!problems.is_empty());
        Self(problems)
    }

    /// The problems, in the order they were found.
    pub fn as_slice(&self) -> &[E] {
        &self.0
    }

    /// The problems, in the order they were found.
    pub fn into_vec(self) -> Vec<E> {
        self.0
    }

    /// Whether one of the problems breaks `rule`.
    pub fn breaks(&self, rule: Rule) -> bool
    where
        E: Fault,
    {
        self.0.iter().any(|problem| problem.rule() == rule)
    }
}

impl<E: fmt::Display> fmt::Display for Problems<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Problems<E> {}

/// Every violation of a post, in input order; never empty.
///
/// Serialises as a plain array of `{field, rule, message}`, which the HTTP layer returns as
/// `details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, thiserror::Error)]
#[serde(transparent)]
#[error("{}", display_list(.0))]
pub struct ValidationErrors(Vec<Violation>);

impl ValidationErrors {
    /// The errors collected in `violations`, or `Ok(())` when there are none.
    pub fn check(violations: Vec<Violation>) -> Result<(), Self> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Self(violations))
        }
    }

    /// A single violation.
    pub fn one(violation: Violation) -> Self {
        Self(vec![violation])
    }

    /// The violations, in input order.
    pub fn violations(&self) -> &[Violation] {
        &self.0
    }

    /// The violations, in input order.
    pub fn into_violations(self) -> Vec<Violation> {
        self.0
    }

    /// How many violations there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `ValidationErrors` holds at least one violation.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first violation at exactly `field`, if any.
    pub fn at(&self, field: &str) -> Option<&Violation> {
        self.0.iter().find(|violation| violation.field == field)
    }
}

impl IntoIterator for ValidationErrors {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

fn display_list(violations: &[Violation]) -> String {
    let count = violations.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    let listed: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
    format!("the post has {count} {noun}: {}", listed.join("; "))
}

/// Collects the violations of a post while its parser walks the input.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// Records every problem of `problems` at `field`.
    pub(crate) fn faults<E: Fault>(&mut self, field: &str, problems: &Problems<E>) {
        for problem in problems.as_slice() {
            self.0.push(Violation::of(field, problem));
        }
    }

    /// Records `fault` at `field`.
    pub(crate) fn fault(&mut self, field: &str, fault: &impl Fault) {
        self.0.push(Violation::of(field, fault));
    }

    /// The parsed value, or `None` after recording its problems at `field`.
    pub(crate) fn keep<T, E: Fault>(
        &mut self,
        field: &str,
        parsed: Result<T, Problems<E>>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(problems) => {
                self.faults(field, &problems);
                None
            }
        }
    }

    /// The parsed value, or `None` after recording its one problem at `field`.
    pub(crate) fn keep_one<T, E: Fault>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(fault) => {
                self.fault(field, &fault);
                None
            }
        }
    }

    pub(crate) fn finish(self) -> Result<(), ValidationErrors> {
        ValidationErrors::check(self.0)
    }
}

/// `n` with thousands separators (`1,204`), as limits are written in messages.
pub(crate) fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_messages_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(2_201), "2,201");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn a_violation_message_starts_with_its_field() {
        let violation = Violation::new("media[2].alt_text", Rule::MaxLength, "too long");
        assert_eq!(violation.message, "media[2].alt_text: too long");
        assert_eq!(violation.to_string(), violation.message);
    }

    #[test]
    fn validation_errors_serialise_as_a_list_of_field_rule_message() {
        let errors = ValidationErrors::check(vec![Violation::new(
            "caption",
            Rule::TooManyHashtags,
            "31 hashtags",
        )])
        .unwrap_err();
        let json = serde_json::to_value(&errors).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "field": "caption",
                "rule": "too_many_hashtags",
                "message": "caption: 31 hashtags"
            }])
        );
    }

    #[test]
    fn every_rule_serialises_as_its_stable_name() {
        for rule in Rule::ALL {
            let json = serde_json::to_value(rule).unwrap();
            assert_eq!(json, serde_json::Value::String(rule.as_str().to_owned()));
        }
    }

    #[test]
    fn rule_names_are_unique() {
        let names: std::collections::HashSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
    }

    #[test]
    fn no_violations_is_not_an_error() {
        assert_eq!(ValidationErrors::check(Vec::new()), Ok(()));
    }
}
