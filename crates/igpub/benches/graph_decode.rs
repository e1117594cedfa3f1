//! Decoding Meta's answers through igpub-graph's public decode path (`BatchResponse::decode`,
//! the same body decoder a direct call uses): a container status, an insights page, and the
//! outer array of a batch answer (graph-api.md §2.6, §4, §9.1).

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use igpub_graph::{BatchResponse, ContainerStatus, Metric, Page};
use serde_json::json;
use std::hint::black_box;

fn sub_response(body: &str) -> BatchResponse {
    serde_json::from_value(json!({"code": 200, "headers": [], "body": body}))
        .expect("a sub-response decodes")
}

fn container_status_body() -> String {
    json!({"id": "17895695668004550", "status_code": "FINISHED", "status": "Finished: Media container is ready"})
        .to_string()
}

/// A 30-day daily insights page of three metrics.
fn insights_body() -> String {
    let values: Vec<_> = (1..=30)
        .map(
            |day| json!({"value": day * 17, "end_time": format!("2026-11-{day:02}T08:00:00+0000")}),
        )
        .collect();
    let data: Vec<_> = ["reach", "views", "follower_count"]
        .iter()
        .map(|name| {
            json!({
                "name": name, "period": "day", "values": values,
                "title": name, "description": "", "id": format!("17841400000000000/insights/{name}/day")
            })
        })
        .collect();
    json!({"data": data, "paging": {"previous": "https://graph.facebook.com/p", "next": "https://graph.facebook.com/n"}})
        .to_string()
}

/// The outer answer of a 50-container status batch, with usage headers.
fn batch_body() -> String {
    let items: Vec<_> = (0..50)
        .map(|n| {
            json!({
                "code": 200,
                "headers": [{"name": "X-Business-Use-Case-Usage", "value": "{\"17841400000000000\":[{\"type\":\"instagram\",\"call_count\":3,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":0}]}"}],
                "body": json!({"id": format!("1789569566800{n:04}"), "status_code": "IN_PROGRESS", "status": "In Progress"}).to_string(),
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn decoding(c: &mut Criterion) {
    let status = sub_response(&container_status_body());
    status
        .decode::<ContainerStatus>()
        .expect("the status decodes");
    c.bench_function("graph/decode container status", |b| {
        b.iter(|| black_box(&status).decode::<ContainerStatus>())
    });

    let insights = sub_response(&insights_body());
    insights
        .decode::<Page<Metric>>()
        .expect("the insights page decodes");
    c.bench_function("graph/decode insights page (3 metrics x 30 days)", |b| {
        b.iter(|| black_box(&insights).decode::<Page<Metric>>())
    });

    let batch = batch_body();
    c.bench_function("graph/decode batch of 50 container statuses", |b| {
        b.iter(|| {
            let answers: Vec<BatchResponse> =
                serde_json::from_str(black_box(&batch)).expect("the batch decodes");
            answers
                .iter()
                .map(|answer| answer.decode::<ContainerStatus>().map(|s| s.status_code))
                .collect::<Vec<_>>()
        })
    });

    let ids: HashMap<String, serde_json::Value> = (0..50)
        .map(|n| {
            let id = format!("1789569566800{n:04}");
            (id.clone(), json!({"id": id, "status_code": "FINISHED"}))
        })
        .collect();
    let ids = sub_response(&serde_json::to_string(&ids).expect("json"));
    c.bench_function("graph/decode ?ids= of 50 container statuses", |b| {
        b.iter(|| black_box(&ids).decode::<HashMap<String, ContainerStatus>>())
    });
}

criterion_group!(benches, decoding);
criterion_main!(benches);
