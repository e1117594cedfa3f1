//! Broken rules, sorted to the composer field they concern: each field shows its own messages,
//! and the summary lists them all with a link to the field.

use crate::domain::ValidationErrors;
use crate::publish::service::Problem;

/// A part of the composer a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The account picker.
    Account,
    /// The kind radio buttons.
    Kind,
    /// The caption.
    Caption,
    /// The hashtag field.
    Hashtags,
    /// The media list.
    Media,
    /// The reel's options.
    Reel,
    /// The schedule.
    Schedule,
    /// Anything else (a field the composer does not show).
    Other,
}

impl Group {
    /// Every group, in the order of the form.
    pub const ALL: [Group; 8] = [
        Group::Account,
        Group::Kind,
        Group::Caption,
        Group::Hashtags,
        Group::Media,
        Group::Reel,
        Group::Schedule,
        Group::Other,
    ];

    /// The id of the form control the summary links to.
    pub fn control_id(self) -> &'static str {
        match self {
            Group::Account => "integration_id",
            Group::Kind => "kind-image",
            Group::Caption => "caption",
            Group::Hashtags => "hashtags",
            Group::Media => "media-heading",
            Group::Reel => "cover_url",
            Group::Schedule => "when-now",
            Group::Other => "composer",
        }
    }

    /// The id of the element that shows the group's messages next to its field.
    pub fn error_id(self) -> &'static str {
        match self {
            Group::Account => "error-integration_id",
            Group::Kind => "error-kind",
            Group::Caption => "error-caption",
            Group::Hashtags => "error-hashtags",
            Group::Media => "error-media",
            Group::Reel => "error-reel",
            Group::Schedule => "error-schedule",
            Group::Other => "error-other",
        }
    }
}

/// One broken rule, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Which part of the form.
    pub group: Group,
    /// The field for a person: `Caption`, `Item 2 · alt text`.
    pub label: String,
    /// The API's field path, e.g. `media[1].alt_text`.
    pub field: String,
    /// The rule's machine name.
    pub rule: String,
    /// The sentence.
    pub message: String,
    /// `false` for a warning that does not block publishing.
    pub blocking: bool,
}

/// Every problem of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    /// In the order of the form's fields, then as reported.
    pub items: Vec<FieldProblem>,
}

impl Problems {
    /// From a failed parse.
    pub fn of_violations(errors: &ValidationErrors) -> Self {
        Self::sorted(
            errors
                .violations()
                .iter()
                .map(|v| FieldProblem::new(&v.field, v.rule.as_str(), &v.message, true))
                .collect(),
        )
    }

    /// From a dry run's report.
    pub fn of_report(problems: &[Problem]) -> Self {
        Self::sorted(
            problems
                .iter()
                .map(|p| FieldProblem::new(&p.field, &p.rule, &p.message, p.severity == "error"))
                .collect(),
        )
    }

    /// One problem with a field the dashboard names itself.
    pub fn one(field: &str, rule: &str, message: &str) -> Self {
        Self::sorted(vec![FieldProblem::new(field, rule, message, true)])
    }

    fn sorted(mut items: Vec<FieldProblem>) -> Self {
        items.sort_by_key(|item| Group::ALL.iter().position(|g| *g == item.group));
        Self { items }
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many problems block publishing.
    pub fn blocking(&self) -> usize {
        self.items.iter().filter(|item| item.blocking).count()
    }

    /// The problems of one group.
    pub fn of(&self, group: Group) -> Vec<&FieldProblem> {
        self.items
            .iter()
            .filter(|item| item.group == group)
            .collect()
    }

    /// Each group with its problems (empty groups too, so a fixed field's message is cleared).
    pub fn by_group(&self) -> Vec<(Group, Vec<&FieldProblem>)> {
        Group::ALL
            .iter()
            .map(|group| (*group, self.of(*group)))
            .collect()
    }
}

impl FieldProblem {
    fn new(field: &str, rule: &str, message: &str, blocking: bool) -> Self {
        let (group, label) = describe(field);
        // The domain's sentences start with the JSON path; the label names the field already.
        let message = message
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(": "))
            .filter(|_| !field.is_empty())
            .unwrap_or(message);
        Self {
            group,
            label,
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.to_owned(),
            blocking,
        }
    }
}

/// The group and a person's name for an API field path.
fn describe(field: &str) -> (Group, String) {
    let (head, rest) = split_head(field);
    match head {
        "integration_id" => (Group::Account, "Account".to_owned()),
        "kind" => (Group::Kind, "Kind".to_owned()),
        "caption" | "first_comment" => (Group::Caption, "Caption".to_owned()),
        "hashtags" => match index_of(rest) {
            Some(index) => (Group::Hashtags, format!("Hashtag {}", index + 1)),
            None => (Group::Hashtags, "Hashtags".to_owned()),
        },
        "media" => match index_of(rest) {
            Some(index) => {
                let part = rest
                    .split_once('.')
                    .map(|(_, part)| part.replace('_', " "))
                    .filter(|part| !part.is_empty());
                let label = match part {
                    Some(part) => format!("Item {} · {part}", index + 1),
                    None => format!("Item {}", index + 1),
                };
                (Group::Media, label)
            }
            None => (Group::Media, "Media".to_owned()),
        },
        "reel" => (
            Group::Reel,
            match rest.trim_start_matches('.') {
                "" => "Reel".to_owned(),
                part => format!("Reel · {}", part.replace('_', " ")),
            },
        ),
        "publish_at" | "draft" => (Group::Schedule, "Schedule".to_owned()),
        _ => (Group::Other, field.to_owned()),
    }
}

/// `media[2].url` → (`media`, `[2].url`).
fn split_head(field: &str) -> (&str, &str) {
    let end = field.find(['[', '.']).unwrap_or(field.len());
    (
        field.get(..end).unwrap_or(field),
        field.get(end..).unwrap_or(""),
    )
}

/// `[2].url` → 2.
fn index_of(rest: &str) -> Option<usize> {
    rest.strip_prefix('[')?.split(']').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Rule, Violation};

    #[test]
    fn fields_are_named_for_people_and_grouped_by_control() {
        let cases = [
            ("media[1].alt_text", Group::Media, "Item 2 · alt text"),
            ("media[0]", Group::Media, "Item 1"),
            ("media", Group::Media, "Media"),
            ("hashtags[3]", Group::Hashtags, "Hashtag 4"),
            ("publish_at.time_zone", Group::Schedule, "Schedule"),
            ("reel.cover_url", Group::Reel, "Reel · cover url"),
            ("integration_id", Group::Account, "Account"),
            ("location_id", Group::Other, "location_id"),
        ];
        for (field, group, label) in cases {
            assert_eq!(describe(field), (group, label.to_owned()), "{field}");
        }
    }

    #[test]
    fn problems_come_in_the_order_of_the_form() {
        let errors = ValidationErrors::check(vec![
            Violation::new("publish_at", Rule::InThePast, "past"),
            Violation::new("caption", Rule::MaxLength, "long"),
            Violation::new("media", Rule::TooFewMedia, "few"),
        ])
        .err()
        .unwrap_or_else(|| ValidationErrors::one(Violation::new("x", Rule::Empty, "x")));
        let groups: Vec<Group> = Problems::of_violations(&errors)
            .items
            .iter()
            .map(|item| item.group)
            .collect();
        assert_eq!(groups, [Group::Caption, Group::Media, Group::Schedule]);
    }

    #[test]
    fn the_json_path_is_not_repeated_before_the_sentence() {
        let problems = Problems::one(
            "media[1].alt_text",
            "max_length",
            "media[1].alt_text: too long",
        );
        assert_eq!(problems.items[0].message, "too long");
        assert_eq!(problems.items[0].label, "Item 2 · alt text");
    }

    #[test]
    fn warnings_do_not_count_as_blocking() {
        let report = [
            Problem {
                field: "media[0]".into(),
                rule: "public_host".into(),
                message: "private".into(),
                severity: "warning".into(),
            },
            Problem {
                field: "media[1]".into(),
                rule: "image_format".into(),
                message: "png".into(),
                severity: "error".into(),
            },
        ];
        let problems = Problems::of_report(&report);
        assert_eq!(problems.blocking(), 1);
        assert_eq!(problems.of(Group::Media).len(), 2);
    }
}
