//! The generic batch: names, depends_on, JSONPath references, null answers.

use crate::helpers::*;
use igpub_graph::{BatchRequest, GraphError, GraphRequest, Method, PublishingLimit};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

#[tokio::test]
async fn a_batch_reads_quota_and_status_together_and_decodes_each_answer() {
    let server = MockServer::start().await;
    // Real answer shape from graph-api.md §9.1.
    Mock::given(method("POST"))
        .and(path(v("")))
        .and(param("include_headers", "true"))
        .respond_with(ok_json(
            r#"[{"code":200,"headers":[{"name":"Content-Type","value":"text/javascript; charset=UTF-8"},
                  {"name":"X-Business-Use-Case-Usage","value":"{\"17841405822304914\":[{\"type\":\"instagram\",\"call_count\":91,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":0}]}"}],
                 "body":"{\"data\":[{\"quota_usage\":2,\"config\":{\"quota_total\":50,\"quota_duration\":86400}}]}"},
                {"code":400,"headers":[],"body":"{\"error\":{\"message\":\"Media ID is not available\",\"type\":\"OAuthException\",\"code\":9007,\"error_subcode\":2207027,\"fbtrace_id\":\"x\"}}"},
                null]"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let requests = vec![
        BatchRequest::new(
            GraphRequest::get(&["17841405822304914", "content_publishing_limit"])
                .param("fields", "quota_usage,config"),
        )
        .name("quota"),
        BatchRequest::new(
            GraphRequest::get(&["17889455560051447"]).param("fields", "status_code,status"),
        ),
        BatchRequest::new(
            GraphRequest::post(&["17841405822304914", "media_publish"])
                .param("creation_id", "17889455560051447"),
        )
        .depends_on("quota"),
    ];
    let answers = client(&server)
        .batch(requests)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers.len(), 3);

    #[derive(serde::Deserialize)]
    struct Limits {
        data: Vec<PublishingLimit>,
    }
    let quota = answers
        .first()
        .cloned()
        .flatten()
        .unwrap_or_else(|| panic!("quota answered"));
    let limits: Limits = quota.decode().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(limits.data.first().map(|l| l.quota_usage), Some(2));
    assert!(quota.usage().is_at_least(90));

    let status = answers
        .get(1)
        .cloned()
        .flatten()
        .map(|a| a.decode::<serde_json::Value>());
    match status {
        Some(Err(GraphError::Api(api))) => {
            assert_eq!(
                (api.code, api.error_subcode, api.http_status),
                (9007, Some(2207027), 400)
            );
            assert_eq!(api.endpoint, "GET 17889455560051447");
        }
        other => panic!("{other:?}"),
    }
    assert!(answers.get(2).is_some_and(Option::is_none));

    let sent = received(&server).await;
    // graph-api.md §2.1: the parameters go as a JSON body, `batch` as a string member.
    let outer = sent.first().map(content_type_of).unwrap_or_default();
    assert_eq!(outer, "application/json");
    let body: serde_json::Value = sent
        .first()
        .and_then(|request| serde_json::from_slice(&request.body).ok())
        .unwrap_or_default();
    assert!(
        body.get("batch").is_some_and(|batch| batch.is_string()),
        "{body}"
    );
    assert_eq!(
        body.get("include_headers").and_then(|v| v.as_str()),
        Some("true")
    );
    let batch = sent.first().map(batch_of).unwrap_or_default();
    assert_eq!(
        batch.pointer("/0/name").and_then(|v| v.as_str()),
        Some("quota")
    );
    assert_eq!(
        batch.pointer("/2/depends_on").and_then(|v| v.as_str()),
        Some("quota")
    );
    assert_eq!(
        batch.pointer("/2/body").and_then(|v| v.as_str()),
        Some("creation_id=17889455560051447")
    );
    assert_eq!(
        batch.pointer("/1/relative_url").and_then(|v| v.as_str()),
        Some("17889455560051447?fields=status_code%2Cstatus")
    );
}

#[tokio::test]
async fn a_batch_with_a_jsonpath_reference_keeps_it_verbatim() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json("[null,null]"))
        .mount(&server)
        .await;
    let requests = vec![
        BatchRequest::new(GraphRequest::get(&["17841405822304914", "media"]).param("limit", "2"))
            .name("get-media"),
        BatchRequest::new(GraphRequest::new(
            Method::Get,
            "?ids={result=get-media:$.data.*.id}",
        ))
        .depends_on("get-media"),
    ];
    let answers = client(&server)
        .batch(requests)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(answers.iter().all(Option::is_none));
    let batch = received(&server)
        .await
        .first()
        .map(batch_of)
        .unwrap_or_default();
    assert_eq!(
        batch.pointer("/1/relative_url").and_then(|v| v.as_str()),
        Some("?ids={result=get-media:$.data.*.id}")
    );
}

#[tokio::test]
async fn a_batch_answer_of_the_wrong_length_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json("[null]"))
        .mount(&server)
        .await;
    let requests = vec![
        BatchRequest::new(GraphRequest::get(&["1"])),
        BatchRequest::new(GraphRequest::get(&["2"])),
    ];
    assert!(matches!(
        client(&server).batch(requests).await,
        Err(GraphError::UnexpectedResponse { .. })
    ));
}

#[tokio::test]
async fn an_invalid_batch_is_refused_before_sending() {
    let server = MockServer::start().await;
    let outcome = client(&server).batch(vec![]).await;
    assert!(matches!(outcome, Err(GraphError::InvalidInput { .. })));
    assert!(received(&server).await.is_empty());
}
