//! Call budgets behind the usage headers, and codes 4, 17, 32 and 80002 past them
//! (shared/graph-api.md §6.2, §7).

use crate::support::TestSim;
use igpub_sim::{RateBudgets, SimConfig};
use serde_json::Value;
use std::time::Duration;

async fn with_budgets(budgets: RateBudgets) -> TestSim {
    TestSim::start(SimConfig {
        budgets,
        fetch_media: false,
        ..SimConfig::instant()
    })
    .await
}

fn buc(reply: &crate::support::Reply, ig: &str) -> Value {
    let header: Value =
        serde_json::from_str(reply.header("x-business-use-case-usage").unwrap_or("{}"))
            .unwrap_or_default();
    header[ig][0].clone()
}

#[tokio::test]
async fn usage_headers_rise_with_calls() {
    let sim = with_budgets(RateBudgets {
        app_calls_per_hour: Some(10),
        account_calls_per_day: Some(10),
        ..RateBudgets::unlimited()
    })
    .await;
    let path = format!("v25.0/{}", sim.account.ig);
    let first = sim.get(&path, &[]).await;
    assert_eq!(buc(&first, &sim.account.ig)["call_count"], 10);
    let app: Value =
        serde_json::from_str(first.header("x-app-usage").unwrap_or("{}")).unwrap_or_default();
    assert_eq!(app["call_count"], 10);
    let second = sim.get(&path, &[]).await;
    assert_eq!(buc(&second, &sim.account.ig)["call_count"], 20);
}

#[tokio::test]
async fn past_the_account_budget_calls_get_80002_with_a_regain_estimate() {
    let sim = with_budgets(RateBudgets {
        account_calls_per_day: Some(3),
        ..RateBudgets::unlimited()
    })
    .await;
    let path = format!("v25.0/{}", sim.account.ig);
    for _ in 0..3 {
        assert_eq!(sim.get(&path, &[]).await.status, 200);
    }
    let refused = sim.get(&path, &[]).await;
    refused.assert_error(400, 80002, None);
    assert_eq!(refused.body["error"]["is_transient"], true);
    assert!(
        refused
            .message()
            .starts_with("(#80002) There have been too many calls to this Instagram account.")
    );
    let usage = buc(&refused, &sim.account.ig);
    assert_eq!(usage["call_count"], 100);
    let minutes = usage["estimated_time_to_regain_access"]
        .as_u64()
        .expect("minutes");
    assert!((1..=24 * 60).contains(&minutes), "{minutes}");
    let other = sim.accounts()[1].clone();
    assert_eq!(
        sim.get_as(&other.page_token, &format!("v25.0/{}", other.ig), &[])
            .await
            .status,
        200
    );
    sim.sim.advance_clock(Duration::from_secs(minutes * 60));
    assert_eq!(sim.get(&path, &[]).await.status, 200);
}

#[tokio::test]
async fn past_the_app_budget_every_call_gets_code_4() {
    let sim = with_budgets(RateBudgets {
        app_calls_per_hour: Some(2),
        ..RateBudgets::unlimited()
    })
    .await;
    sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await;
    sim.get(&format!("v25.0/{}", sim.account.page_id), &[])
        .await;
    let refused = sim.get("v25.0/me", &[]).await;
    refused.assert_error(400, 4, None);
    assert_eq!(refused.message(), "(#4) Application request limit reached");
    sim.sim.advance_clock(Duration::from_secs(3601));
    assert_eq!(sim.get("v25.0/me", &[]).await.status, 200);
}

#[tokio::test]
async fn user_and_page_budgets_answer_17_and_32() {
    let sim = with_budgets(RateBudgets {
        user_calls_per_hour: Some(1),
        page_calls_per_hour: Some(1),
        ..RateBudgets::unlimited()
    })
    .await;
    let user_token = sim.account.user_token.clone();
    sim.get_as(&user_token, "v25.0/me", &[]).await;
    sim.get_as(&user_token, "v25.0/me", &[])
        .await
        .assert_error(400, 17, None);
    sim.get("v25.0/me", &[]).await;
    sim.get("v25.0/me", &[]).await.assert_error(400, 32, None);
}

#[tokio::test]
async fn multi_get_ids_count_one_by_one_against_the_budget() {
    let sim = with_budgets(RateBudgets {
        account_calls_per_day: Some(3),
        ..RateBudgets::unlimited()
    })
    .await;
    let a = sim.image_container(&[]).await;
    let b = sim.image_container(&[]).await;
    sim.get("v25.0/", &[("ids", &format!("{a},{b}"))])
        .await
        .assert_error(400, 80002, None);
}
