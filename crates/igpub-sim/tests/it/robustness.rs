//! Bad input never panics the simulator: every answer is Meta's envelope (issue #3 "Quality").

use crate::support::{TestSim, assert_error_shape};
use serde_json::Value;

/// (method, path, parameters)
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

#[tokio::test]
async fn hostile_parameters_get_metas_answer_and_the_simulator_keeps_serving() {
    let sim = TestSim::quick().await;
    let ig = sim.account.ig.clone();
    let media = format!("v25.0/{ig}/media");
    let deep = "a{".repeat(200);
    let cases: Vec<Case> = vec![
        ("GET", format!("v25.0/{ig}"), vec![("fields", "{{{{")]),
        (
            "GET",
            format!("v25.0/{ig}"),
            vec![("fields", "media.limit(")],
        ),
        ("GET", format!("v25.0/{ig}"), vec![("fields", &deep)]),
        ("GET", format!("v25.0/{ig}/media"), vec![("limit", "-1")]),
        (
            "GET",
            format!("v25.0/{ig}/media"),
            vec![("limit", "99999999999999999999999")],
        ),
        ("GET", format!("v25.0/{ig}/media"), vec![("after", "%%%")]),
        (
            "GET",
            format!("v25.0/{ig}/media"),
            vec![("until", "-99999999999999999")],
        ),
        (
            "GET",
            format!("v25.0/{ig}/insights"),
            vec![("metric", "reach"), ("period", "day"), ("since", "x")],
        ),
        (
            "GET",
            format!("v25.0/{ig}/content_publishing_limit"),
            vec![("since", "99999999999999999999")],
        ),
        (
            "POST",
            media.clone(),
            vec![
                ("image_url", "http://127.0.0.1:9/a.jpg"),
                ("user_tags", "[{]"),
            ],
        ),
        (
            "POST",
            media.clone(),
            vec![("media_type", "CAROUSEL"), ("children", "[1,{\"a\":2}]")],
        ),
        (
            "POST",
            media.clone(),
            vec![
                ("media_type", "CAROUSEL"),
                ("children", "18446744073709551616,1"),
            ],
        ),
        (
            "POST",
            media.clone(),
            vec![
                ("image_url", "http://127.0.0.1:9/a.jpg"),
                ("is_carousel_item", "maybe"),
            ],
        ),
        (
            "POST",
            media.clone(),
            vec![
                ("media_type", "REELS"),
                ("video_url", "http://127.0.0.1:9/a.mp4"),
                ("trial_params", "{"),
            ],
        ),
        (
            "POST",
            media.clone(),
            vec![("image_url", "http://127.0.0.1:9/ünïcode.jpg")],
        ),
        (
            "POST",
            format!("v25.0/{ig}/media_publish"),
            vec![("creation_id", "-1")],
        ),
        (
            "POST",
            "v25.0/".to_owned(),
            vec![("batch", "[{\"relative_url\": 5}]")],
        ),
        ("POST", "v25.0/".to_owned(), vec![("batch", "{not json")]),
        (
            "POST",
            "v25.0/".to_owned(),
            vec![("batch", "[{\"method\":\"PATCH\",\"relative_url\":\"me\"}]")],
        ),
        (
            "POST",
            "v25.0/".to_owned(),
            vec![("batch", "[{\"relative_url\":\"{result=x:$.id}\"}]")],
        ),
        ("GET", "v25.0/".to_owned(), vec![("ids", ",,,")]),
        ("GET", "v25.0/debug_token".to_owned(), vec![]),
        (
            "GET",
            "v25.0/oauth/access_token".to_owned(),
            vec![("client_id", "abc")],
        ),
        ("GET", "v25.0/a/b/c/d".to_owned(), vec![]),
        ("GET", "v2.0/me".to_owned(), vec![]),
        ("GET", "v25.x/me".to_owned(), vec![]),
    ];
    for (method, path, params) in cases {
        let mut all = params.clone();
        all.push(("access_token", sim.account.page_token.as_str()));
        let request = match method {
            "GET" => sim.http.get(sim.url(&path)).query(&all),
            _ => sim.http.post(sim.url(&path)).form(&all),
        };
        let reply = sim.send(request).await;
        match reply.status {
            200 => assert!(
                reply.body != Value::Null,
                "{path} {params:?}: {}",
                reply.text
            ),
            _ => assert_error_shape(&reply.body),
        }
    }
    let garbage_json = sim
        .http
        .post(sim.url(&media))
        .bearer_auth(&sim.account.page_token)
        .header("content-type", "application/json")
        .body("{\"caption\": [1, 2");
    let reply = sim.send(garbage_json).await;
    reply.assert_error(400, 100, None);
    assert_eq!(
        sim.get(&format!("v25.0/{ig}"), &[]).await.status,
        200,
        "still serving"
    );
}
