//! The control API and the ground truth (issue #3 "Faults, control and ground truth").

use crate::support::TestSim;
use igpub_sim::NewAccount;
use serde_json::json;

#[tokio::test]
async fn the_accounts_listing_names_every_seeded_account_with_its_credentials() {
    let sim = TestSim::quick().await;
    let reply = sim.control_get("accounts").await;
    let rows = reply.body.as_array().expect("a list");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let keys: Vec<&str> = row
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 6, "{row}");
        for key in [
            "ig_user_id",
            "username",
            "page_id",
            "page_token",
            "user_token",
            "app_id",
        ] {
            assert!(row[key].is_string(), "{key} in {row}");
        }
    }
    assert_eq!(rows[0]["ig_user_id"], sim.account.ig.as_str());
    assert_eq!(rows[0]["page_token"], sim.account.page_token.as_str());
}

#[tokio::test]
async fn the_seeded_account_secrets_stay_out_of_debug_output() {
    let sim = TestSim::quick().await;
    let seeded = sim.sim.accounts().remove(0);
    let printed = format!("{seeded:?}");
    assert!(!printed.contains(&sim.account.page_token));
    assert!(!printed.contains(&sim.account.user_token));
    assert!(!printed.contains(&sim.account.app_secret));
}

#[tokio::test]
async fn published_ground_truth_lists_caption_type_children_time_and_container() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[("caption", "truth")]).await;
    let media = sim.publish(&container).await.id();
    let reply = sim.control_get("published").await;
    let posts = reply.body[&sim.account.ig]
        .as_array()
        .expect("a list for the account");
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post["media_id"], media.as_str());
    assert_eq!(post["container_id"], container.as_str());
    assert_eq!(post["caption"], "truth");
    assert_eq!(post["media_type"], "IMAGE");
    assert_eq!(post["media_product_type"], "FEED");
    assert_eq!(post["children"], json!([]));
    assert!(
        post["published_unix"].is_i64()
            && post["timestamp"].is_string()
            && post["permalink"].is_string()
    );
    let other = &sim.accounts()[1];
    assert_eq!(reply.body[&other.ig], json!([]));
}

#[tokio::test]
async fn counters_count_calls_by_endpoint_and_result() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.publish(&container).await;
    sim.publish(&container).await;
    let reply = sim.control_get("counters").await;
    assert_eq!(reply.body["calls"]["media.create"]["ok"], 1);
    assert_eq!(reply.body["calls"]["media.publish"]["ok"], 1);
    assert_eq!(reply.body["calls"]["media.publish"]["24/2207008"], 1);
    assert_eq!(reply.body["round_trips"], 3);
    sim.control("counters/reset", json!({})).await;
    assert_eq!(sim.sim.counters().round_trips, 0);
}

#[tokio::test]
async fn the_clock_moves_forward_on_request() {
    let sim = TestSim::quick().await;
    let before = sim.control_get("clock").await.body["now"]
        .as_i64()
        .expect("now");
    let after = sim
        .control("clock/advance", json!({"seconds": 7200}))
        .await
        .body["now"]
        .as_i64()
        .expect("now");
    assert!(after - before >= 7200);
    let refused = sim.control("clock/advance", json!({"seconds": -5})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"]["field"], "seconds");
}

#[tokio::test]
async fn bad_control_input_names_the_field_and_the_rule() {
    let sim = TestSim::quick().await;
    let reply = sim
        .control("tokens/revoke", json!({"token": "nope", "subcode": 999}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"]["field"], "subcode");
    assert_eq!(reply.body["error"]["rule"], "must be 463, 467, 460 or 458");
    let unknown = sim.control("users", json!({"permissions": ["fly"]})).await;
    assert_eq!(unknown.body["error"]["field"], "permissions");
    let garbage = sim
        .send(sim.http.post(sim.url("__sim/users")).body("{not json"))
        .await;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.body["error"]["field"], "body");
}

#[tokio::test]
async fn created_accounts_are_listed_and_work_like_seeded_ones() {
    let sim = TestSim::quick().await;
    let made = sim
        .sim
        .create_account(&NewAccount {
            username: Some("fresh_brand".to_owned()),
            followers: Some(42),
            ..NewAccount::default()
        })
        .expect("created");
    assert_eq!(sim.accounts().len(), 4);
    let token = secrecy::ExposeSecret::expose_secret(&made.page_token).to_owned();
    let reply = sim
        .get_as(
            &token,
            &format!("v25.0/{}", made.ig_user_id),
            &[("fields", "username,followers_count")],
        )
        .await;
    assert_eq!(reply.body["username"], "fresh_brand");
    assert_eq!(reply.body["followers_count"], 42);
    let duplicate = sim
        .control("accounts", json!({"username": "fresh_brand"}))
        .await;
    assert_eq!(duplicate.status, 400);
    assert_eq!(duplicate.body["error"]["field"], "username");
}

#[tokio::test]
async fn a_container_ground_truth_shows_its_status_and_media() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    let media = sim.publish(&container).await.id();
    let reply = sim.control_get(&format!("containers/{container}")).await;
    assert_eq!(reply.body["status_code"], "PUBLISHED");
    assert_eq!(reply.body["media_id"], media.as_str());
    assert_eq!(reply.body["owner"], sim.account.ig.as_str());
}

#[tokio::test]
async fn a_page_without_instagram_can_be_created_for_a_user() {
    let sim = TestSim::quick().await;
    let user = sim.control("users", json!({"name": "Second"})).await;
    let user_id = user.body["user_id"].as_str().expect("a user").to_owned();
    let page = sim
        .control("pages", json!({"user_id": user_id, "name": "Bare"}))
        .await;
    assert_eq!(page.body["ig_user_id"], serde_json::Value::Null);
    let token = user.body["user_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let pages = sim
        .get_as(
            &token,
            "v25.0/me/accounts",
            &[("fields", "name,instagram_business_account")],
        )
        .await;
    assert_eq!(
        pages.body["data"],
        json!([{"name": "Bare", "id": page.body["page_id"]}])
    );
}
