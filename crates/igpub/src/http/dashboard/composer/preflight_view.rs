//! The pre-flight result of each media item, as the composer shows it: what Meta's crawler
//! would find at the URL, and every rule it would refuse (or merely warn about).

use crate::media::preflight::{ItemReport, MediaFacts, MediaRole, Severity};

/// One item's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemView {
    /// `Item 2`, or `Item 1 · cover`.
    pub title: String,
    /// The URL checked.
    pub url: String,
    /// Nothing blocks publishing.
    pub ok: bool,
    /// What was measured, in a few words (`JPEG · 1080 × 1350 · 245 KB`).
    pub facts: String,
    /// Errors first, then warnings.
    pub problems: Vec<ProblemView>,
}

/// One problem of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemView {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// Meta's error code for the same rule, when there is one.
    pub meta_code: Option<String>,
    /// The sentence.
    pub message: String,
}

impl ItemView {
    /// The view of one report.
    pub fn of(report: &ItemReport) -> Self {
        let title = match report.role {
            MediaRole::ReelCover => format!("Item {} · cover", report.index),
            _ => format!("Item {}", report.index),
        };
        // The item's number and URL head the panel, so each sentence drops them.
        let prefix = format!("item {} ({}): ", report.index, report.url);
        let problems = report
            .problems
            .iter()
            .map(|problem| {
                let message = problem
                    .message
                    .strip_prefix(&prefix)
                    .unwrap_or(&problem.message)
                    .to_owned();
                let meta_code = problem
                    .rule
                    .meta_error()
                    .map(|(code, subcode)| format!("{code}/{subcode}"))
                    .filter(|code| !message.contains(code.as_str()));
                ProblemView {
                    severity: match problem.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    meta_code,
                    message,
                }
            })
            .collect();
        Self {
            title,
            url: report.url.clone(),
            ok: !report.has_errors(),
            facts: facts_line(&report.facts),
            problems,
        }
    }
}

/// The facts worth a glance, joined by ` · `.
fn facts_line(facts: &MediaFacts) -> String {
    let mut parts = Vec::new();
    if let Some(format) = &facts.format {
        parts.push(format.clone());
    }
    if let (Some(width), Some(height)) = (facts.width, facts.height) {
        parts.push(format!("{width} × {height}"));
    }
    if let Some(seconds) = facts.duration_secs {
        parts.push(format!("{seconds:.1} s"));
    }
    if let Some(size) = facts.size {
        parts.push(file_size(size));
    }
    parts.join(" · ")
}

/// `245 KB`, `3.4 MB`: decimal units, as people read file sizes.
pub fn file_size(bytes: u64) -> String {
    const KB: u64 = 1_000;
    const MB: u64 = 1_000_000;
    match bytes {
        0..KB => format!("{bytes} B"),
        KB..MB => format!("{} KB", bytes / KB),
        _ => format!("{:.1} MB", bytes as f64 / MB as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::preflight::{Problem, Rule};

    #[test]
    fn sizes_read_like_file_sizes() {
        assert_eq!(file_size(999), "999 B");
        assert_eq!(file_size(245_300), "245 KB");
        assert_eq!(file_size(3_400_000), "3.4 MB");
    }

    #[test]
    fn sentences_drop_the_item_heading_and_do_not_repeat_meta_s_code() {
        let report = ItemReport {
            index: 1,
            url: "http://127.0.0.1/a.jpg".into(),
            role: MediaRole::FeedImage,
            problems: vec![Problem {
                severity: Severity::Warning,
                rule: Rule::PublicHost,
                message: "item 1 (http://127.0.0.1/a.jpg): loopback (9004/2207052)".into(),
                measured: None,
            }],
            facts: MediaFacts::default(),
        };
        let view = ItemView::of(&report);
        assert_eq!(view.problems[0].message, "loopback (9004/2207052)");
        assert_eq!(view.problems[0].meta_code, None);
    }

    #[test]
    fn an_item_with_only_warnings_is_ok_and_names_meta_codes() {
        let report = ItemReport {
            index: 2,
            url: "http://127.0.0.1/a.jpg".into(),
            role: MediaRole::CarouselImage,
            problems: vec![Problem {
                severity: Severity::Warning,
                rule: Rule::PublicHost,
                message: "private host".into(),
                measured: None,
            }],
            facts: MediaFacts {
                format: Some("JPEG".into()),
                width: Some(1080),
                height: Some(1350),
                size: Some(245_300),
                ..MediaFacts::default()
            },
        };
        let view = ItemView::of(&report);
        assert!(view.ok);
        assert_eq!(view.title, "Item 2");
        assert_eq!(view.facts, "JPEG · 1080 × 1350 · 245 KB");
        assert_eq!(view.problems[0].meta_code.as_deref(), Some("9004/2207052"));
    }
}
