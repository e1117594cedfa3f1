//! Reading nodes and edges: `fields=` selection, nested expansion, unknown fields and objects,
//! cursor paging, since/until, Pages and headers (shared/graph-api.md §1, §3, §7, §9.2).

use crate::support::{TestSim, assert_list};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn an_ig_user_read_defaults_to_its_id_only() {
    let sim = TestSim::quick().await;
    let reply = sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await;
    assert_eq!(reply.body, json!({"id": sim.account.ig}));
}

#[tokio::test]
async fn user_fields_come_back_with_metas_json_types() {
    let sim = TestSim::quick().await;
    sim.post_image("one").await;
    let fields = "username,name,biography,website,followers_count,follows_count,media_count,profile_picture_url,ig_id";
    let body = sim
        .get(&format!("v25.0/{}", sim.account.ig), &[("fields", fields)])
        .await
        .body;
    assert_eq!(body["username"], sim.account.username.as_str());
    for text in ["name", "biography", "website", "profile_picture_url"] {
        assert!(body[text].is_string(), "{text} in {body}");
    }
    for count in ["followers_count", "follows_count", "media_count"] {
        assert!(body[count].is_u64(), "{count} in {body}");
    }
    assert_eq!(body["media_count"], 1);
    assert!(body["ig_id"].is_u64(), "ig_id is a JSON number: {body}");
    assert_eq!(body["id"], sim.account.ig.as_str());
}

#[tokio::test]
async fn a_nonexisting_field_is_named_with_its_node_type() {
    let sim = TestSim::quick().await;
    let media = sim.post_image("x").await;
    let reply = sim
        .get(&format!("v25.0/{media}"), &[("fields", "id,color")])
        .await;
    reply.assert_error(400, 100, None);
    assert_eq!(
        reply.message(),
        "(#100) Tried accessing nonexisting field (color) on node type (ShadowIGMedia)"
    );
    let view_count = sim
        .get(&format!("v25.0/{media}"), &[("fields", "view_count")])
        .await;
    view_count.assert_error(400, 36104, None);
}

#[tokio::test]
async fn an_unknown_object_is_100_33_and_an_alias_is_803() {
    let sim = TestSim::quick().await;
    let unknown = sim.get("v25.0/17999999999999999", &[]).await;
    unknown.assert_error(400, 100, Some(33));
    assert_eq!(
        unknown.message(),
        "Unsupported get request. Object with ID '17999999999999999' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
    );
    let alias = sim.get("v25.0/someone", &[]).await;
    alias.assert_error(400, 803, None);
    let edge = sim
        .get(&format!("v25.0/{}/nothing", sim.account.ig), &[])
        .await;
    edge.assert_error(400, 100, None);
    assert_eq!(
        edge.message(),
        "(#100) Tried accessing nonexisting field (nothing) on node type (ShadowIGUser)"
    );
    let deeper = sim
        .get(&format!("v25.0/{}/insights/reach/day", sim.account.ig), &[])
        .await;
    deeper.assert_error(400, 2500, None);
    assert_eq!(deeper.message(), "Unknown path components: /reach/day");
}

#[tokio::test]
async fn a_syntax_error_in_fields_is_2500() {
    let sim = TestSim::quick().await;
    let reply = sim
        .get(
            &format!("v25.0/{}", sim.account.ig),
            &[("fields", "id,media{id")],
        )
        .await;
    reply.assert_error(400, 2500, None);
    assert!(
        reply.message().starts_with("Syntax error"),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn media_lists_page_with_cursors_and_a_next_link_that_works() {
    let sim = TestSim::quick().await;
    let mut posted = Vec::new();
    for n in 0..5 {
        posted.push(sim.post_image(&format!("post {n}")).await);
        sim.sim.advance_clock(Duration::from_secs(60));
    }
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();
    let first = sim
        .get(
            &format!("v25.0/{}/media", sim.account.ig),
            &[("limit", "2"), ("fields", "id,caption")],
        )
        .await;
    let page = assert_list(&first.body);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["id"], newest_first[0].as_str());
    assert!(first.body["paging"]["cursors"]["before"].is_string());
    assert!(first.body["paging"]["cursors"]["after"].is_string());
    let mut seen: Vec<String> = page
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    let mut next = first.body["paging"]["next"].as_str().map(str::to_owned);
    while let Some(url) = next {
        let reply = sim.send(sim.http.get(&url)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        seen.extend(
            assert_list(&reply.body)
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned)),
        );
        assert!(
            assert_list(&reply.body)
                .iter()
                .all(|m| m["caption"].is_string())
        );
        next = reply.body["paging"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn media_lists_filter_by_since_and_until() {
    let sim = TestSim::quick().await;
    let early = sim.post_image("early").await;
    sim.sim.advance_clock(Duration::from_secs(3600));
    let cut = sim.sim.now_unix();
    sim.sim.advance_clock(Duration::from_secs(3600));
    let late = sim.post_image("late").await;
    let path = format!("v25.0/{}/media", sim.account.ig);
    let since = sim.get(&path, &[("since", &cut.to_string())]).await;
    assert_eq!(since.body["data"], json!([{"id": late}]));
    let until = sim.get(&path, &[("until", &cut.to_string())]).await;
    assert_eq!(until.body["data"], json!([{"id": early}]));
    sim.get(&path, &[("since", "last tuesday")])
        .await
        .assert_error(400, 100, None);
}

#[tokio::test]
async fn nested_expansion_reads_an_account_its_media_and_their_children_in_one_call() {
    let sim = TestSim::quick().await;
    sim.post_image("only").await;
    let reply = sim
        .get(
            &format!("v25.0/{}", sim.account.ig),
            &[("fields", "username,media.limit(1){id,caption,media_type}")],
        )
        .await;
    assert_eq!(reply.body["username"], sim.account.username.as_str());
    let media = assert_list(&reply.body["media"]);
    assert_eq!(media.len(), 1);
    assert_eq!(media[0]["caption"], "only");
    assert_eq!(media[0]["media_type"], "IMAGE");
}

#[tokio::test]
async fn me_accounts_lists_pages_with_tokens_and_their_instagram_accounts() {
    let sim = TestSim::quick().await;
    let user_token = sim.account.user_token.clone();
    let plain = sim.get_as(&user_token, "v25.0/me/accounts", &[]).await;
    let pages = assert_list(&plain.body);
    assert_eq!(
        pages.len(),
        4,
        "three seeded accounts and one Page without Instagram"
    );
    let first = &pages[0];
    for key in ["access_token", "category", "name", "id"] {
        assert!(first[key].is_string(), "{key} in {first}");
    }
    assert!(first["category_list"].is_array() && first["tasks"].is_array());
    assert_eq!(first["access_token"], sim.account.page_token.as_str());
    assert!(plain.body["paging"]["cursors"]["after"].is_string());

    let expanded = sim
        .get_as(
            &user_token,
            "v25.0/me/accounts",
            &[(
                "fields",
                "id,name,access_token,instagram_business_account{id,username}",
            )],
        )
        .await;
    let pages = assert_list(&expanded.body);
    assert_eq!(
        pages[0]["instagram_business_account"],
        json!({"id": sim.account.ig, "username": sim.account.username})
    );
    let without: Vec<_> = pages
        .iter()
        .filter(|page| page.get("instagram_business_account").is_none())
        .collect();
    assert_eq!(without.len(), 1, "the Page without Instagram omits the key");

    let paged = sim
        .get_as(&user_token, "v25.0/me/accounts", &[("limit", "3")])
        .await;
    assert_eq!(assert_list(&paged.body).len(), 3);
    assert!(paged.body["paging"]["next"].is_string());
}

#[tokio::test]
async fn a_page_reads_its_instagram_business_account() {
    let sim = TestSim::quick().await;
    let reply = sim
        .get(
            &format!("v25.0/{}", sim.account.page_id),
            &[("fields", "instagram_business_account")],
        )
        .await;
    assert_eq!(
        reply.body,
        json!({"instagram_business_account": {"id": sim.account.ig}, "id": sim.account.page_id})
    );
}

#[tokio::test]
async fn versions_are_answered_and_named_in_the_version_header() {
    let sim = TestSim::quick().await;
    let path = |version: &str| format!("{version}{}", sim.account.ig);
    let current = sim.get(&path("v23.0/"), &[]).await;
    assert_eq!(current.header("facebook-api-version"), Some("v23.0"));
    let expired = sim.get(&path("v19.0/"), &[]).await;
    assert_eq!(expired.status, 200);
    assert_eq!(expired.header("facebook-api-version"), Some("v21.0"));
    let unversioned = sim.get(&path(""), &[]).await;
    assert_eq!(unversioned.header("facebook-api-version"), Some("v25.0"));
    sim.get(&path("v99.0/"), &[])
        .await
        .assert_error(400, 2500, None);
}

#[tokio::test]
async fn every_answer_carries_metas_headers() {
    let sim = TestSim::quick().await;
    for reply in [
        sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await,
        sim.get("v25.0/17999999999999999", &[]).await,
    ] {
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=UTF-8")
        );
        assert!(
            reply
                .header("x-fb-trace-id")
                .is_some_and(|id| !id.is_empty())
        );
        let app: serde_json::Value =
            serde_json::from_str(reply.header("x-app-usage").unwrap_or("null")).unwrap_or_default();
        for key in ["call_count", "total_cputime", "total_time"] {
            assert!(app[key].is_u64(), "{key} in {app}");
        }
        assert!(reply.header("x-business-use-case-usage").is_some());
    }
    let ok = sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await;
    let buc: serde_json::Value =
        serde_json::from_str(ok.header("x-business-use-case-usage").unwrap_or("{}"))
            .unwrap_or_default();
    let entry = &buc[&sim.account.ig][0];
    assert_eq!(entry["type"], "instagram");
    for key in [
        "call_count",
        "total_cputime",
        "total_time",
        "estimated_time_to_regain_access",
    ] {
        assert!(entry[key].is_u64(), "{key} in {buc}");
    }
}

#[tokio::test]
async fn comments_are_created_and_listed_newest_first() {
    let sim = TestSim::quick().await;
    let media = sim.post_image("talk to me").await;
    let first = sim
        .post(&format!("v25.0/{media}/comments"), &[("message", "first!")])
        .await
        .id();
    let added = sim
        .sim
        .add_comment(&media, "nice", "a_fan")
        .expect("the media exists");
    let list = sim.get(&format!("v25.0/{media}/comments"), &[]).await;
    let comments = assert_list(&list.body);
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["id"], added.as_str());
    assert_eq!(comments[1]["id"], first.as_str());
    assert_eq!(comments[1]["text"], "first!");
    assert!(comments[1]["timestamp"].is_string());
    let count = sim
        .get(&format!("v25.0/{media}"), &[("fields", "comments_count")])
        .await;
    assert_eq!(count.body["comments_count"], 2);
    let missing = sim.post(&format!("v25.0/{media}/comments"), &[]).await;
    missing.assert_error(400, 100, None);
}

#[tokio::test]
async fn json_bodies_carry_parameters_like_the_query_does() {
    let sim = TestSim::quick().await;
    let request = sim
        .http
        .post(sim.url(&format!("v25.0/{}/media", sim.account.ig)))
        .json(&json!({"image_url": "http://127.0.0.1:9/a.jpg", "caption": "json", "access_token": sim.account.page_token}));
    let container = sim.send(request).await.id();
    let publish = sim
        .http
        .post(sim.url(&format!("v25.0/{}/media_publish", sim.account.ig)))
        .query(&[("creation_id", container.as_str())])
        .bearer_auth(&sim.account.page_token);
    assert_eq!(sim.send(publish).await.status, 200);
}

#[tokio::test]
async fn a_media_can_be_deleted_and_is_then_gone() {
    let sim = TestSim::quick().await;
    let media = sim.post_image("bye").await;
    let request = sim
        .http
        .delete(sim.url(&format!("v25.0/{media}")))
        .bearer_auth(&sim.account.page_token);
    let deleted = sim.send(request).await;
    assert_eq!(deleted.body, json!({"success": true, "deleted_id": media}));
    sim.get(&format!("v25.0/{media}"), &[])
        .await
        .assert_error(400, 100, Some(33));
}
