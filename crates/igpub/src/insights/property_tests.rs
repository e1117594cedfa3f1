//! Properties over arbitrary input: nothing panics, windows tile their range exactly.

use jiff::civil::{Date, date};
use proptest::prelude::*;
use secrecy::SecretString;

use super::dates::{DateRange, add_days};
use super::object::{InsightsObject, MediaKind};
use super::plan::MetricRequest;
use super::registry::Registry;
use super::version::GraphVersion;
use super::webhook::{parse_notification, verify_handshake, verify_signature};

fn any_day() -> impl Strategy<Value = Date> {
    (0_i64..20_000)
        .prop_map(|offset| add_days(date(2000, 1, 1), offset).unwrap_or(date(2000, 1, 1)))
}

fn any_object() -> impl Strategy<Value = InsightsObject> {
    prop_oneof![
        Just(InsightsObject::Account),
        Just(InsightsObject::Media(MediaKind::Feed)),
        Just(InsightsObject::Media(MediaKind::CarouselAlbum)),
        Just(InsightsObject::Media(MediaKind::Reels)),
        Just(InsightsObject::Media(MediaKind::Story)),
        Just(InsightsObject::Media(MediaKind::CarouselChild)),
    ]
}

proptest! {
    #[test]
    fn split_windows_tile_the_range_with_no_gap_or_overlap(
        first in any_day(),
        len in 1_i64..800,
        max in 1_i64..40,
    ) {
        let last = add_days(first, len - 1).unwrap_or(first);
        let range = DateRange::new(first, last).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let windows = range.split(max);
        prop_assert_eq!(windows.first().map(DateRange::first), Some(first));
        prop_assert_eq!(windows.last().map(DateRange::last), Some(last));
        prop_assert_eq!(windows.iter().map(DateRange::len_days).sum::<i64>(), range.len_days());
        for pair in windows.windows(2) {
            prop_assert_eq!(pair[0].last().tomorrow().ok(), Some(pair[1].first()));
        }
        prop_assert!(windows.iter().all(|w| w.len_days() <= max));
    }

    #[test]
    fn resolving_any_name_on_any_object_version_and_day_never_panics(
        object in any_object(),
        major in 0_u16..40,
        name in "\\PC{0,80}",
        today in any_day(),
    ) {
        let registry = Registry::standard();
        let version = GraphVersion::new(major);
        match registry.resolve(object, version, &name, today) {
            Ok(resolved) => prop_assert!(!resolved.shapes.is_empty()),
            Err(unknown) => prop_assert!(!unknown.valid.contains(&name.as_str())),
        }
    }

    #[test]
    fn every_valid_metric_plans_for_the_account(
        major in 19_u16..27,
        today in any_day(),
        first in any_day(),
        len in 1_i64..100,
    ) {
        let registry = Registry::standard();
        let version = GraphVersion::new(major);
        let last = add_days(first, len - 1).unwrap_or(first);
        let range = DateRange::new(first, last).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let metrics: Vec<MetricRequest> = registry
            .valid_metrics(InsightsObject::Account, version, today)
            .into_iter()
            .map(MetricRequest::new)
            .collect();
        if metrics.is_empty() {
            return Ok(());
        }
        let plan = registry
            .plan_account_pull(version, &metrics, range, today)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for call in &plan.requests {
            if let Some(window) = call.window {
                prop_assert!(window.len_days() <= 30);
                prop_assert!(window.last() <= today);
            }
        }
    }

    #[test]
    fn webhook_input_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        header in proptest::option::of("\\PC{0,100}"),
        mode in proptest::option::of("\\PC{0,20}"),
        challenge in proptest::option::of("\\PC{0,300}"),
    ) {
        let secret = SecretString::from("s");
        let _ = parse_notification(&body);
        let _ = verify_signature(&secret, &body, header.as_deref());
        let _ = verify_handshake(mode.as_deref(), challenge.as_deref(), header.as_deref(), &secret);
    }

    #[test]
    fn json_shaped_webhook_bodies_never_panic(
        id in "[0-9]{1,20}",
        time in any::<i64>(),
        field in "[a-z_]{1,20}",
        value in "\\PC{0,40}",
    ) {
        let body = serde_json::json!({
            "object": "instagram",
            "entry": [{"id": id, "time": time, "changes": [{"field": field, "value": {"media_id": value, "x": 1}}]}]
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = parse_notification(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.changes.len(), 1);
        prop_assert_eq!(parsed.changes[0].dedupe_key().as_str().len(), 64);
    }
}
