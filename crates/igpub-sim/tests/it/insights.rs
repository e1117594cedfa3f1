//! Insights calls reach the insights module with what the simulator knows, behind the usual
//! token, permission and usage rules (shared/graph-api.md §4).

use crate::support::{TestSim, assert_list};
use serde_json::json;

#[tokio::test]
async fn account_insights_answer_a_data_list_with_usage_headers() {
    let sim = TestSim::quick().await;
    let reply = sim
        .get(
            &format!("v25.0/{}/insights", sim.account.ig),
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("metric_type", "total_value"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = assert_list(&reply.body);
    assert_eq!(data[0]["name"], "reach");
    assert_eq!(
        data[0]["id"],
        format!("{}/insights/reach/day", sim.account.ig)
    );
    assert!(
        reply
            .header("x-business-use-case-usage")
            .is_some_and(|h| h.contains(&sim.account.ig))
    );
}

#[tokio::test]
async fn impressions_is_rejected_from_v22_on() {
    let sim = TestSim::quick().await;
    let reply = sim
        .get(
            &format!("v22.0/{}/insights", sim.account.ig),
            &[("metric", "impressions"), ("period", "day")],
        )
        .await;
    reply.assert_error(400, 100, None);
}

#[tokio::test]
async fn media_insights_answer_for_published_media_but_not_carousel_children() {
    let sim = TestSim::quick().await;
    let media = sim.post_image("measured").await;
    let reply = sim
        .get(
            &format!("v25.0/{media}/insights"),
            &[("metric", "reach,likes")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let names: Vec<_> = assert_list(&reply.body)
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("reach"), json!("likes")]);
    let expanded = sim
        .get(
            &format!("v25.0/{media}"),
            &[("fields", "id,insights.metric(reach)")],
        )
        .await;
    assert_eq!(expanded.body["insights"]["data"][0]["name"], "reach");
}

#[tokio::test]
async fn insights_need_the_manage_insights_permission() {
    let sim = TestSim::quick().await;
    let user = sim
        .control("users", json!({"permissions": ["instagram_basic", "pages_show_list", "instagram_content_publish"]}))
        .await;
    let user_id = user.body["user_id"].as_str().expect("a user").to_owned();
    let page = sim
        .control(
            "pages",
            json!({"user_id": user_id, "instagram_username": "no_insights"}),
        )
        .await;
    let ig = page.body["ig_user_id"]
        .as_str()
        .expect("an account")
        .to_owned();
    let token = user.body["user_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    sim.get_as(
        &token,
        &format!("v25.0/{ig}/insights"),
        &[("metric", "reach"), ("period", "day")],
    )
    .await
    .assert_error(403, 10, None);
}
