//! The SQL of a lease: one worker taking 100 due posts in one statement (`UPDATE … RETURNING`
//! on SQLite, `FOR UPDATE SKIP LOCKED` on PostgreSQL). SQLite always; PostgreSQL when
//! `IGPUB_TEST_DATABASE_URL` is set. The posts are given back (untimed) after each lease, so
//! every iteration leases the same 100 posts from a table of 1,000.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use igpub::publish::Posts;
use igpub::publish::service::CreatePost;
use igpub::store::testing::{TestBackend, available_backends};
use igpub::store::{NewIntegration, SharedStore};
use secrecy::SecretString;

const DUE: usize = 100;
/// Posts not due yet, so the lease query has to pick the due ones out of a real table.
const LATER: usize = 900;

async fn store_with_due_posts(backend: igpub::store::Backend) -> (TestBackend, SharedStore) {
    let test = TestBackend::create(backend).await.expect("a test database");
    let store = test.store.clone();
    let (tenant, _) = store.create_tenant("bench").await.expect("tenant");
    let integration = store
        .upsert_instagram_integration(
            tenant.id,
            NewIntegration {
                ig_user_id: "17841400000000001".into(),
                ig_username: "bench".into(),
                facebook_page_id: "100000000000001".into(),
                page_token: SecretString::from("EAAB-bench-token".to_owned()),
                token_expires_at: None,
            },
        )
        .await
        .expect("integration");
    let posts = Posts::new(store.clone());
    let later = store
        .now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .expect("a day later");
    for n in 0..DUE + LATER {
        let publish_at = if n < DUE {
            "now".to_owned()
        } else {
            later.to_string()
        };
        let serde_json::Value::Object(post) = serde_json::json!({
            "kind": "image",
            "caption": format!("lease bench {n}"),
            "media": [{"url": "https://cdn.example.com/a.jpg"}],
            "publish_at": publish_at,
        }) else {
            panic!("a post is a JSON object")
        };
        let request = CreatePost {
            auto_fix: None,
            integration_id: integration.id,
            post,
        };
        posts.create(tenant.id, request, None).await.expect("post");
    }
    (test, store)
}

fn leases(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    for backend in available_backends() {
        let (test, store) = runtime.block_on(store_with_due_posts(backend));
        let mut group = c.benchmark_group("lease");
        group.sample_size(20);
        group.bench_function(format!("lease 100 due posts ({backend})"), |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let store = store.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let started = Instant::now();
                        let leased = store
                            .lease_due("bench-worker", 100, Duration::from_secs(60))
                            .await
                            .expect("lease");
                        total += started.elapsed();
                        assert_eq!(leased.len(), DUE, "every due post is leased");
                        store.release_leases("bench-worker").await.expect("release");
                    }
                    total
                }
            })
        });
        group.finish();
        runtime.block_on(test.remove());
    }
}

criterion_group!(benches, leases);
criterion_main!(benches);
