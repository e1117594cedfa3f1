//! Integration tests of `igpub::store`: one contract suite, run on SQLite and (when
//! `IGPUB_TEST_DATABASE_URL` is set) on PostgreSQL.

use std::fmt::Debug;
use std::time::Duration;

use igpub::store::Clock as _;
use igpub::store::testing::{TestBackend, available_backends, for_each_backend, vault_of};
use igpub::store::{
    API_KEY_PREFIX, Backend, ConnectOptions, Integration, IntegrationId, IntegrationStatus,
    MetaAppOverride, NewIntegration, OAUTH_STATE_TTL, OAuthStateError, Readiness, RotationReport,
    StoreError, TOKEN_EXPIRY_WARNING, Tenant, TenantId, TenantScope,
};
use igpub::store::{ContainerKind, LearnedProcessing};
use igpub::vault::{KeyRing, VaultError};
use jiff::SignedDuration;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- shorthands

fn account(ig_user_id: &str, token: &str) -> NewIntegration {
    NewIntegration {
        ig_user_id: ig_user_id.to_owned(),
        ig_username: format!("user_{ig_user_id}"),
        facebook_page_id: format!("9{ig_user_id}"),
        page_token: SecretString::from(token.to_owned()),
        token_expires_at: None,
    }
}

/// An account whose token expires `hours` from the backend's now.
fn expiring(backend: &TestBackend, ig_user_id: &str, hours: i64) -> NewIntegration {
    let expires_at = backend
        .clock
        .now()
        .checked_add(SignedDuration::from_hours(hours));
    NewIntegration {
        token_expires_at: Some(expires_at.unwrap()),
        ..account(ig_user_id, "t")
    }
}

async fn new_tenant(backend: &TestBackend, name: &str) -> Tenant {
    backend.store.create_tenant(name).await.unwrap().0
}

async fn connect(backend: &TestBackend, tenant: TenantId, new: NewIntegration) -> Integration {
    backend
        .store
        .upsert_instagram_integration(tenant, new)
        .await
        .unwrap()
}

async fn token_of(backend: &TestBackend, tenant: TenantId, id: IntegrationId) -> String {
    let token = backend.store.integration_token(tenant, id).await.unwrap();
    token.expose_secret().to_owned()
}

async fn issue_state(backend: &TestBackend, tenant: TenantId) -> SecretString {
    let extra = serde_json::json!({});
    backend
        .store
        .create_oauth_state(tenant, OAUTH_STATE_TTL, extra)
        .await
        .unwrap()
}

async fn refusal_of(backend: &TestBackend, state: &str) -> OAuthStateError {
    match backend.store.consume_oauth_state(state).await {
        Err(StoreError::OAuthState(refusal)) => refusal,
        other => panic!("state {state:?} was not refused: {other:?}"),
    }
}

fn app(secret: &str) -> MetaAppOverride {
    MetaAppOverride {
        app_id: "138483919580948".into(),
        app_secret: SecretString::from(secret.to_owned()),
        redirect_url: Some(
            "https://acme.example/oauth/facebook/callback"
                .parse()
                .unwrap(),
        ),
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn assert_not_found<T: Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::NotFound { .. })),
        "{what}: {result:?}"
    );
}

fn assert_invalid<T: Debug>(result: Result<T, StoreError>, field: &str) {
    match result {
        Err(StoreError::InvalidInput { field: named, .. }) if named == field => {}
        other => panic!("expected an error naming {field}, got {other:?}"),
    }
}

fn ids(integrations: Vec<Integration>) -> Vec<IntegrationId> {
    integrations.into_iter().map(|i| i.id).collect()
}

/// Changes the last character of a secret, keeping its shape.
fn altered(secret: &str) -> String {
    let mut altered = secret.to_owned();
    let last = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., last);
    altered
}

// ---------------------------------------------------------------- tenants and API keys

#[tokio::test]
async fn a_new_tenant_gets_an_api_key_that_authenticates_it() {
    for_each_backend(|backend| async move {
        let (tenant, key) = backend.store.create_tenant("  Acme agency ").await.unwrap();
        assert_eq!(tenant.name, "Acme agency");
        assert_eq!(tenant.created_at, backend.clock.now());
        assert!(key.expose_secret().starts_with(API_KEY_PREFIX));
        let found = backend
            .store
            .authenticate_api_key(key.expose_secret())
            .await
            .unwrap();
        assert_eq!(found.as_ref(), Some(&tenant));
        assert_eq!(backend.store.get_tenant(tenant.id).await.unwrap(), tenant);
    })
    .await;
}

#[tokio::test]
async fn tenants_are_listed_oldest_first() {
    for_each_backend(|backend| async move {
        let first = new_tenant(&backend, "first").await;
        backend.clock.advance(Duration::from_secs(1));
        let second = new_tenant(&backend, "second").await;
        assert_eq!(
            backend.store.list_tenants().await.unwrap(),
            vec![first, second]
        );
    })
    .await;
}

#[tokio::test]
async fn an_unknown_tenant_is_not_found_everywhere() {
    for_each_backend(|backend| async move {
        let nobody = TenantId::generate();
        let store = &backend.store;
        assert_not_found(store.get_tenant(nobody).await, "get_tenant");
        assert_not_found(store.create_api_key(nobody, "x").await, "create_api_key");
        let upsert = store.upsert_instagram_integration(nobody, account("1", "t"));
        assert_not_found(upsert.await, "upsert");
        let state = store.create_oauth_state(nobody, OAUTH_STATE_TTL, serde_json::json!({}));
        assert_not_found(state.await, "create_oauth_state");
        assert_not_found(store.meta_app_override(nobody).await, "meta_app_override");
        assert_not_found(
            store.set_meta_app_override(nobody, &app("s")).await,
            "set override",
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_tenant_name_is_refused_naming_the_field() {
    for_each_backend(|backend| async move {
        assert_invalid(backend.store.create_tenant(" ").await, "name");
        assert!(backend.store.list_tenants().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_api_key_is_stored_only_as_its_prefix_and_sha256() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let (key, secret) = backend.store.create_api_key(tenant.id, "ci").await.unwrap();
        let secret = secret.expose_secret();
        assert!(secret.starts_with(&key.prefix) && secret.len() > key.prefix.len() + 32);
        let stored = format!(
            "SELECT count(*) FROM api_keys WHERE id = '{}' AND key_hash = '{}' AND prefix = '{}'",
            key.id,
            sha256_hex(secret),
            key.prefix
        );
        assert_eq!(backend.fetch_i64(&stored).await.unwrap(), 1);
        let anywhere = format!(
            "SELECT count(*) FROM api_keys WHERE id = '{secret}' OR prefix = '{secret}' \
             OR key_hash = '{secret}' OR label = '{secret}'"
        );
        assert_eq!(backend.fetch_i64(&anywhere).await.unwrap(), 0);
        let listed = backend.store.list_api_keys(tenant.id).await.unwrap();
        assert_eq!(listed.len(), 2, "the initial key and this one");
        assert_eq!(listed[1], key);
    })
    .await;
}

#[tokio::test]
async fn a_revoked_api_key_no_longer_authenticates() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let (key, secret) = backend
            .store
            .create_api_key(tenant.id, "old")
            .await
            .unwrap();
        let revoked = backend
            .store
            .revoke_api_key(tenant.id, key.id)
            .await
            .unwrap();
        assert_eq!(revoked.revoked_at, Some(backend.clock.now()));
        let found = backend
            .store
            .authenticate_api_key(secret.expose_secret())
            .await
            .unwrap();
        assert_eq!(found, None);
    })
    .await;
}

#[tokio::test]
async fn malformed_or_unknown_api_keys_authenticate_nobody() {
    for_each_backend(|backend| async move {
        let (_, key) = backend.store.create_tenant("Acme").await.unwrap();
        let key = key.expose_secret();
        let same_prefix = format!("{}{}", &key[..14], "x".repeat(key.len() - 14));
        let shorter = &key[..key.len() - 1];
        for presented in [
            "",
            "igpub_",
            "Bearer x",
            &altered(key),
            &same_prefix,
            shorter,
        ] {
            let found = backend.store.authenticate_api_key(presented).await.unwrap();
            assert_eq!(found, None, "{presented:?} authenticated");
        }
    })
    .await;
}

#[tokio::test]
async fn api_key_use_is_recorded_to_the_minute() {
    for_each_backend(|backend| async move {
        let (tenant, secret) = backend.store.create_tenant("Acme").await.unwrap();
        let last_used = async || {
            backend
                .store
                .authenticate_api_key(secret.expose_secret())
                .await
                .unwrap();
            backend.store.list_api_keys(tenant.id).await.unwrap()[0].last_used_at
        };
        let first_use = backend.clock.now();
        assert_eq!(last_used().await, Some(first_use));
        backend.clock.advance(Duration::from_secs(30));
        assert_eq!(last_used().await, Some(first_use), "within the minute");
        backend.clock.advance(Duration::from_secs(31));
        assert_eq!(last_used().await, Some(backend.clock.now()));
    })
    .await;
}

#[tokio::test]
async fn another_tenant_cannot_see_or_revoke_an_api_key() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let (key, secret) = backend.store.create_api_key(a.id, "a's").await.unwrap();
        assert_not_found(backend.store.revoke_api_key(b.id, key.id).await, "revoke");
        let listed_for_b = backend.store.list_api_keys(b.id).await.unwrap();
        assert!(listed_for_b.iter().all(|k| k.id != key.id));
        let found = backend
            .store
            .authenticate_api_key(secret.expose_secret())
            .await
            .unwrap();
        assert_eq!(found.map(|t| t.id), Some(a.id));
    })
    .await;
}

#[tokio::test]
async fn a_meta_app_override_round_trips_and_can_be_cleared() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        assert!(
            backend
                .store
                .meta_app_override(tenant.id)
                .await
                .unwrap()
                .is_none()
        );
        let app = app("meta-app-secret-value");
        backend
            .store
            .set_meta_app_override(tenant.id, &app)
            .await
            .unwrap();

        let stored = backend
            .store
            .meta_app_override(tenant.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.app_id, app.app_id);
        assert_eq!(stored.app_secret.expose_secret(), "meta-app-secret-value");
        assert_eq!(stored.redirect_url, app.redirect_url);
        let listed = backend.store.get_tenant(tenant.id).await.unwrap();
        assert_eq!(listed.meta_app_id, Some(app.app_id));
        let in_clear = "SELECT count(*) FROM tenants WHERE meta_app_secret LIKE '%meta-app%'";
        assert_eq!(backend.fetch_i64(in_clear).await.unwrap(), 0);

        backend
            .store
            .clear_meta_app_override(tenant.id)
            .await
            .unwrap();
        assert!(
            backend
                .store
                .meta_app_override(tenant.id)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_tenants_auto_fix_default_round_trips_and_reaches_the_api_key_lookup() {
    for_each_backend(|backend| async move {
        let (tenant, key) = backend.store.create_tenant("Acme").await.unwrap();
        assert_eq!(tenant.auto_fix, None, "a new tenant follows the service");
        for setting in [Some(true), Some(false), None] {
            let changed = backend
                .store
                .set_tenant_auto_fix(tenant.id, setting)
                .await
                .unwrap();
            assert_eq!(changed.auto_fix, setting);
            let by_key = backend
                .store
                .authenticate_api_key(key.expose_secret())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(by_key.auto_fix, setting);
            let listed = backend.store.list_tenants().await.unwrap();
            assert_eq!(listed[0].auto_fix, setting);
        }
        let nobody = igpub::store::TenantId::generate();
        assert!(matches!(
            backend.store.set_tenant_auto_fix(nobody, Some(true)).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

// ---------------------------------------------------------------- integrations

#[tokio::test]
async fn connecting_an_account_stores_its_metadata_and_a_token_only_the_store_can_read() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let new = NewIntegration {
            page_token: SecretString::from("EAAG-page-token"),
            ..expiring(&backend, "17841405822304914", 60 * 24)
        };
        let expires_at = new.token_expires_at;
        let integration = connect(&backend, tenant.id, new).await;
        assert_eq!(integration.tenant_id, tenant.id);
        assert_eq!(integration.status, IntegrationStatus::Active);
        assert_eq!(integration.metadata.ig_user_id, "17841405822304914");
        assert_eq!(integration.metadata.ig_username, "user_17841405822304914");
        assert_eq!(integration.metadata.facebook_page_id, "917841405822304914");
        assert_eq!(integration.metadata.token_expires_at, expires_at);
        assert_eq!(integration.last_verified_at, None);
        assert_eq!(
            token_of(&backend, tenant.id, integration.id).await,
            "EAAG-page-token"
        );
        let fetched = backend
            .store
            .get_integration(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(fetched, integration);

        let column = |name| {
            format!(
                "SELECT {name} FROM integrations WHERE id = '{}'",
                fetched.id
            )
        };
        let metadata = backend
            .fetch_text(&column("metadata"))
            .await
            .unwrap()
            .unwrap();
        let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
        let mut keys: Vec<&str> = metadata.as_object().unwrap().keys().map(|k| &**k).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["facebookPageId", "igUserId", "igUsername", "tokenExpiresAt"]
        );
        let sealed = backend
            .fetch_text(&column("api_key"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            sealed.starts_with("v1.") && !sealed.contains("EAAG"),
            "{sealed}"
        );
    })
    .await;
}

#[tokio::test]
async fn reconnecting_an_account_updates_the_same_integration_in_place() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let first = connect(&backend, tenant.id, account("42", "old")).await;
        let store = &backend.store;
        store
            .mark_needs_reconnect(tenant.id, first.id, "190: session expired")
            .await
            .unwrap();
        backend.clock.advance(Duration::from_secs(60));

        let renamed = NewIntegration {
            ig_username: "renamed".into(),
            ..account("42", "new")
        };
        let second = connect(&backend, tenant.id, renamed).await;
        assert_eq!((second.id, second.created_at), (first.id, first.created_at));
        assert_eq!(second.updated_at, backend.clock.now());
        assert_eq!(second.status, IntegrationStatus::Active);
        assert_eq!(second.last_error, None);
        assert_eq!(second.metadata.ig_username, "renamed");
        assert_eq!(token_of(&backend, tenant.id, first.id).await, "new");
        let all = store
            .list_integrations(TenantScope::Tenant(tenant.id))
            .await
            .unwrap();
        assert_eq!(ids(all), vec![first.id]);
    })
    .await;
}

#[tokio::test]
async fn a_refused_reconnect_leaves_the_working_token_in_place() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let integration = connect(&backend, tenant.id, account("42", "working")).await;
        let broken = NewIntegration {
            ig_username: "someone-else".into(),
            ..account("42", "")
        };
        let refused = backend
            .store
            .upsert_instagram_integration(tenant.id, broken)
            .await;
        assert_invalid(refused, "page_token");
        assert_eq!(
            token_of(&backend, tenant.id, integration.id).await,
            "working"
        );
        let unchanged = backend
            .store
            .get_integration(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(unchanged, integration);
    })
    .await;
}

#[tokio::test]
async fn concurrent_connects_of_one_account_make_one_integration() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let connects =
            (0..6).map(|i| connect(&backend, tenant.id, account("42", &format!("token-{i}"))));
        let connected = ids(futures::future::join_all(connects).await);
        assert!(
            connected.iter().all(|id| *id == connected[0]),
            "{connected:?}"
        );
        let all = backend
            .store
            .list_integrations(TenantScope::Tenant(tenant.id))
            .await
            .unwrap();
        assert_eq!(ids(all), vec![connected[0]]);
        assert!(
            token_of(&backend, tenant.id, connected[0])
                .await
                .starts_with("token-")
        );
    })
    .await;
}

#[tokio::test]
async fn two_tenants_connecting_one_account_get_separate_integrations() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let of_a = connect(&backend, a.id, account("42", "ta")).await;
        let of_b = connect(&backend, b.id, account("42", "tb")).await;
        assert_ne!(of_a.id, of_b.id);
        let found = backend
            .store
            .find_integration_by_ig_user(b.id, "42")
            .await
            .unwrap();
        assert_eq!(found.map(|i| i.id), Some(of_b.id));
        assert_eq!(token_of(&backend, a.id, of_a.id).await, "ta");
        assert_eq!(token_of(&backend, b.id, of_b.id).await, "tb");
    })
    .await;
}

#[tokio::test]
async fn tenant_b_gets_not_found_for_every_one_of_tenant_as_integrations() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let mut owned_by_a = Vec::new();
        for ig in ["1", "2", "3"] {
            owned_by_a.push(connect(&backend, a.id, account(ig, "secret")).await);
        }
        let store = &backend.store;
        for integration in &owned_by_a {
            let id = integration.id;
            assert_not_found(store.get_integration(b.id, id).await, "get");
            assert_not_found(store.integration_token(b.id, id).await, "token");
            assert_not_found(
                store.mark_verified(b.id, id, backend.clock.now()).await,
                "verify",
            );
            assert_not_found(
                store.mark_needs_reconnect(b.id, id, "x").await,
                "needs_reconnect",
            );
            assert_not_found(store.disconnect(b.id, id).await, "disconnect");
            let by_ig = store.find_integration_by_ig_user(b.id, &integration.metadata.ig_user_id);
            assert_eq!(by_ig.await.unwrap(), None);
        }
        assert!(
            store
                .list_integrations(TenantScope::Tenant(b.id))
                .await
                .unwrap()
                .is_empty()
        );
        let far = Duration::from_secs(100 * 365 * 24 * 3600);
        let expiring = store.integrations_expiring_within(TenantScope::Tenant(b.id), far);
        assert!(expiring.await.unwrap().is_empty());
        // Nothing B tried changed A's integrations.
        assert_eq!(
            store
                .list_integrations(TenantScope::Tenant(a.id))
                .await
                .unwrap(),
            owned_by_a
        );
        for integration in &owned_by_a {
            assert_eq!(token_of(&backend, a.id, integration.id).await, "secret");
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_integration_is_not_found() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let nothing = IntegrationId::generate();
        assert_not_found(backend.store.get_integration(tenant, nothing).await, "get");
        assert_not_found(
            backend.store.integration_token(tenant, nothing).await,
            "token",
        );
        assert_not_found(
            backend.store.disconnect(tenant, nothing).await,
            "disconnect",
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_needs_reconnect_with_its_reason_until_verified_again() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let id = connect(&backend, tenant, account("42", "t")).await.id;
        let store = &backend.store;
        let verified_at = backend.clock.now();
        store.mark_verified(tenant, id, verified_at).await.unwrap();
        backend.clock.advance(Duration::from_secs(5));

        let reason = "Error validating access token: The user has not authorized application.";
        let marked = store
            .mark_needs_reconnect(tenant, id, reason)
            .await
            .unwrap();
        assert_eq!(marked.status, IntegrationStatus::NeedsReconnect);
        assert_eq!(marked.last_error.as_deref(), Some(reason));
        assert_eq!(
            marked.last_verified_at,
            Some(verified_at),
            "the last success is kept"
        );
        assert_eq!(marked.updated_at, backend.clock.now());

        let later = backend.clock.now();
        let healed = store.mark_verified(tenant, id, later).await.unwrap();
        assert_eq!(healed.status, IntegrationStatus::Active);
        assert_eq!(healed.last_error, None);
        assert_eq!(healed.last_verified_at, Some(later));
    })
    .await;
}

#[tokio::test]
async fn a_refusal_of_a_token_a_reconnect_replaced_never_undoes_the_reconnect() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let id = connect(&backend, tenant, account("42", "old")).await.id;
        let store = &backend.store;
        let old = SecretString::from("old".to_owned());

        // A refusal of the token still stored marks the integration.
        assert!(
            store
                .mark_needs_reconnect_if_token(tenant, id, &old, "190 expired")
                .await
                .unwrap()
        );
        let marked = store.get_integration(tenant, id).await.unwrap();
        assert_eq!(marked.status, IntegrationStatus::NeedsReconnect);
        assert_eq!(marked.last_error.as_deref(), Some("190 expired"));

        // A reconnect stores a new token; a late refusal of the old one changes nothing.
        connect(&backend, tenant, account("42", "new")).await;
        assert!(
            !store
                .mark_needs_reconnect_if_token(tenant, id, &old, "190 expired")
                .await
                .unwrap()
        );
        let kept = store.get_integration(tenant, id).await.unwrap();
        assert_eq!(kept.status, IntegrationStatus::Active);
        assert_eq!(token_of(&backend, tenant, id).await, "new");

        store.disconnect(tenant, id).await.unwrap();
        let result = store
            .mark_needs_reconnect_if_token(tenant, id, &old, "190")
            .await;
        assert!(
            matches!(result, Err(StoreError::Disconnected(got)) if got == id),
            "{result:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_disconnected_integration_has_no_token_until_it_is_reconnected() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let id = connect(&backend, tenant, account("42", "t")).await.id;
        let store = &backend.store;
        let gone = store.disconnect(tenant, id).await.unwrap();
        assert_eq!(gone.status, IntegrationStatus::Disconnected);
        let wiped =
            format!("SELECT count(*) FROM integrations WHERE id = '{id}' AND api_key IS NULL");
        assert_eq!(backend.fetch_i64(&wiped).await.unwrap(), 1);
        for result in [
            store.integration_token(tenant, id).await.map(drop),
            store
                .mark_verified(tenant, id, backend.clock.now())
                .await
                .map(drop),
            store
                .mark_needs_reconnect(tenant, id, "190")
                .await
                .map(drop),
        ] {
            assert!(
                matches!(result, Err(StoreError::Disconnected(got)) if got == id),
                "{result:?}"
            );
        }
        let again = store.disconnect(tenant, id).await.unwrap();
        assert_eq!(
            again.status,
            IntegrationStatus::Disconnected,
            "disconnecting twice is harmless"
        );

        let back = connect(&backend, tenant, account("42", "t2")).await;
        assert_eq!((back.id, back.status), (id, IntegrationStatus::Active));
        assert_eq!(token_of(&backend, tenant, id).await, "t2");
    })
    .await;
}

#[tokio::test]
async fn tokens_expiring_within_seven_days_are_listed_soonest_first() {
    for_each_backend(|backend| async move {
        let mine = new_tenant(&backend, "Acme").await.id;
        let theirs = new_tenant(&backend, "Other").await.id;
        let in_one_day = connect(&backend, mine, expiring(&backend, "1", 24)).await;
        let in_six_days = connect(&backend, mine, expiring(&backend, "2", 6 * 24)).await;
        connect(&backend, mine, expiring(&backend, "3", 8 * 24)).await;
        connect(&backend, mine, account("4", "never-expires")).await;
        let expired = connect(&backend, mine, expiring(&backend, "5", -24)).await;
        let dropped = connect(&backend, mine, expiring(&backend, "6", 48)).await;
        backend.store.disconnect(mine, dropped.id).await.unwrap();
        let other = connect(&backend, theirs, expiring(&backend, "7", 72)).await;

        let within = |scope| {
            backend
                .store
                .integrations_expiring_within(scope, TOKEN_EXPIRY_WARNING)
        };
        let listed = ids(within(TenantScope::Tenant(mine)).await.unwrap());
        assert_eq!(listed, vec![expired.id, in_one_day.id, in_six_days.id]);
        let everyone = ids(within(TenantScope::AllTenants).await.unwrap());
        assert_eq!(
            everyone,
            vec![expired.id, in_one_day.id, other.id, in_six_days.id]
        );
    })
    .await;
}

#[tokio::test]
async fn listing_across_tenants_covers_every_tenant_oldest_first() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let first = connect(&backend, b.id, account("1", "t")).await;
        backend.clock.advance(Duration::from_millis(1));
        let second = connect(&backend, a.id, account("2", "t")).await;
        let all = backend
            .store
            .list_integrations(TenantScope::AllTenants)
            .await
            .unwrap();
        assert_eq!(all, vec![first, second]);
    })
    .await;
}

// ---------------------------------------------------------------- secrets at rest

#[tokio::test]
async fn the_sqlite_files_never_contain_a_token_an_api_key_a_state_or_an_app_secret() {
    let backend = TestBackend::create(Backend::Sqlite).await.unwrap();
    let token = "EAAGpagetokenTHATmustNEVERbeSTOREDinTHEclear1234567890";
    let new_token = "EAAGreconnectedTOKENthatMUSTnotLEAKeither0987654321";
    let app_secret = "0123456789abcdefAPPSECRETnotINclear";
    let (tenant, api_key) = backend.store.create_tenant("Acme").await.unwrap();
    let integration = connect(&backend, tenant.id, account("42", token)).await;
    connect(&backend, tenant.id, account("42", new_token)).await;
    token_of(&backend, tenant.id, integration.id).await;
    backend
        .store
        .set_meta_app_override(tenant.id, &app(app_secret))
        .await
        .unwrap();
    let state = issue_state(&backend, tenant.id).await;

    let files = backend.sqlite_files();
    assert!(
        files.iter().any(|f| f.to_string_lossy().ends_with("-wal")),
        "WAL mode: {files:?}"
    );
    let bytes: Vec<u8> = files
        .iter()
        .flat_map(|file| std::fs::read(file).unwrap())
        .collect();
    assert!(
        bytes.windows(2).any(|w| w == b"v1"),
        "the envelopes are in these files"
    );
    for secret in [
        token,
        new_token,
        app_secret,
        api_key.expose_secret(),
        state.expose_secret(),
    ] {
        assert!(
            !bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "a secret starting {:?} is in the SQLite files",
            &secret[..8]
        );
    }
    backend.remove().await;
}

#[tokio::test]
async fn a_ciphertext_copied_onto_another_integration_does_not_decrypt() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await.id;
        let b = new_tenant(&backend, "B").await.id;
        let source = connect(&backend, a, account("1", "a-token")).await.id;
        let same_tenant = connect(&backend, a, account("2", "other")).await.id;
        let other_tenant = connect(&backend, b, account("3", "b-token")).await.id;
        for (tenant, target) in [(a, same_tenant), (b, other_tenant)] {
            let copy = format!(
                "UPDATE integrations SET api_key = \
                 (SELECT api_key FROM integrations WHERE id = '{source}') WHERE id = '{target}'"
            );
            assert_eq!(backend.execute(&copy).await.unwrap(), 1);
            match backend.store.integration_token(tenant, target).await {
                Err(StoreError::Vault {
                    source: VaultError::Undecryptable,
                    record,
                }) => {
                    assert_eq!(record, format!("integration {target}"));
                }
                other => panic!("a moved ciphertext decrypted or failed oddly: {other:?}"),
            }
        }
        assert_eq!(token_of(&backend, a, source).await, "a-token");
    })
    .await;
}

// ---------------------------------------------------------------- OAuth states

#[tokio::test]
async fn an_oauth_state_is_consumed_once_and_returns_its_tenant_and_extra() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let extra = serde_json::json!({"redirectUri": "https://igpub.example/oauth/cb"});
        let create = backend
            .store
            .create_oauth_state(tenant, OAUTH_STATE_TTL, extra.clone());
        let state = create.await.unwrap();
        let created = backend.clock.now();
        backend.clock.advance(Duration::from_secs(30));

        let consumed = backend
            .store
            .consume_oauth_state(state.expose_secret())
            .await
            .unwrap();
        assert_eq!((consumed.tenant_id, &consumed.extra), (tenant, &extra));
        assert_eq!(consumed.created_at, created);
        let ten_minutes_later = created.checked_add(SignedDuration::from_mins(10)).unwrap();
        assert_eq!(consumed.expires_at, ten_minutes_later);
        let again = refusal_of(&backend, state.expose_secret()).await;
        assert_eq!(again, OAuthStateError::AlreadyUsed);
    })
    .await;
}

#[tokio::test]
async fn concurrent_callbacks_with_one_state_let_exactly_one_through() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let state = issue_state(&backend, tenant).await;
        let attempts = (0..5).map(|_| backend.store.consume_oauth_state(state.expose_secret()));
        let outcomes = futures::future::join_all(attempts).await;
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_oauth_state_is_refused_as_expired_from_its_expiry_on() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let early = issue_state(&backend, tenant).await;
        let late = issue_state(&backend, tenant).await;
        backend
            .clock
            .advance(OAUTH_STATE_TTL - Duration::from_millis(1));
        assert!(
            backend
                .store
                .consume_oauth_state(early.expose_secret())
                .await
                .is_ok()
        );
        backend.clock.advance(Duration::from_millis(1));
        let refusal = refusal_of(&backend, late.expose_secret()).await;
        assert_eq!(refusal, OAuthStateError::Expired);
    })
    .await;
}

#[tokio::test]
async fn an_unknown_oauth_state_is_refused_as_unknown() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let issued = issue_state(&backend, tenant).await;
        for state in ["", "abc", "' OR 1=1 --", &altered(issued.expose_secret())] {
            assert_eq!(
                refusal_of(&backend, state).await,
                OAuthStateError::Unknown,
                "{state:?}"
            );
        }
        assert!(
            backend
                .store
                .consume_oauth_state(issued.expose_secret())
                .await
                .is_ok()
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_sha256_of_an_oauth_state_is_stored() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let state = issue_state(&backend, tenant).await;
        let state = state.expose_secret();
        let rows_with =
            |hash: &str| format!("SELECT count(*) FROM oauth_states WHERE state_hash = '{hash}'");
        assert_eq!(
            backend
                .fetch_i64(&rows_with(&sha256_hex(state)))
                .await
                .unwrap(),
            1
        );
        assert_eq!(backend.fetch_i64(&rows_with(state)).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn expired_oauth_states_are_deleted_and_live_ones_kept() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let minute = Duration::from_secs(60);
        let store = &backend.store;
        store
            .create_oauth_state(tenant, minute, serde_json::json!({}))
            .await
            .unwrap();
        let live = issue_state(&backend, tenant).await;
        backend.clock.advance(minute);
        assert_eq!(store.delete_expired_oauth_states().await.unwrap(), 1);
        assert!(
            store
                .consume_oauth_state(live.expose_secret())
                .await
                .is_ok()
        );
    })
    .await;
}

#[tokio::test]
async fn a_zero_ttl_is_refused_naming_the_field() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let zero = backend
            .store
            .create_oauth_state(tenant, Duration::ZERO, serde_json::json!({}));
        assert_invalid(zero.await, "ttl");
    })
    .await;
}

// ---------------------------------------------------------------- key rotation

fn setting(keys: &[&SecretString]) -> SecretString {
    SecretString::from(
        keys.iter()
            .map(|k| k.expose_secret())
            .collect::<Vec<_>>()
            .join(","),
    )
}

#[tokio::test]
async fn rotation_re_encrypts_every_secret_under_the_active_key_in_resumable_batches() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let mut integrations = Vec::new();
        for ig in ["1", "2", "3", "4", "5"] {
            integrations.push(connect(&backend, tenant, account(ig, &format!("token-{ig}"))).await);
        }
        backend
            .store
            .set_meta_app_override(tenant, &app("app-secret"))
            .await
            .unwrap();

        let new_key = KeyRing::generate_key();
        let both = backend.reopen(vault_of(&setting(&[&new_key, &backend.secret_keys])));
        let rotating = both.await.unwrap();
        // Until rotated, the old key still opens the old envelopes.
        let token = rotating
            .integration_token(tenant, integrations[0].id)
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "token-1");

        let totals = |report: RotationReport| (report.re_encrypted, report.remaining);
        assert_eq!(totals(rotating.rotate_tokens(4).await.unwrap()), (4, 2));
        assert_eq!(totals(rotating.rotate_tokens(4).await.unwrap()), (2, 0));
        assert_eq!(totals(rotating.rotate_tokens(4).await.unwrap()), (0, 0));

        // Nothing needs the old key any more.
        let new_only = backend.reopen(vault_of(&new_key)).await.unwrap();
        for integration in &integrations {
            let token = new_only
                .integration_token(tenant, integration.id)
                .await
                .unwrap();
            assert_eq!(
                token.expose_secret(),
                format!("token-{}", integration.metadata.ig_user_id)
            );
        }
        let app_now = new_only.meta_app_override(tenant).await.unwrap().unwrap();
        assert_eq!(app_now.app_secret.expose_secret(), "app-secret");
        let new_key_id = KeyRing::from_setting(&new_key).unwrap().active_key_id();
        match backend
            .store
            .integration_token(tenant, integrations[0].id)
            .await
        {
            Err(StoreError::Vault {
                source: VaultError::UnknownKey { key_id },
                ..
            }) => {
                assert_eq!(key_id, new_key_id);
            }
            other => panic!("the old ring opened a rotated token: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn rotation_stops_with_an_error_naming_a_secret_whose_key_is_gone() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let id = connect(&backend, tenant, account("1", "t")).await.id;
        let stranger = backend
            .reopen(vault_of(&KeyRing::generate_key()))
            .await
            .unwrap();
        match stranger.rotate_tokens(10).await {
            Err(
                error @ StoreError::Vault {
                    source: VaultError::UnknownKey { .. },
                    ..
                },
            ) => {
                assert!(error.to_string().contains(&id.to_string()), "{error}");
            }
            other => panic!("rotation without the old key did not stop: {other:?}"),
        }
        assert_eq!(
            token_of(&backend, tenant, id).await,
            "t",
            "a failed rotation changes nothing"
        );
        assert_invalid(backend.store.rotate_tokens(0).await, "batch_size");
    })
    .await;
}

// ---------------------------------------------------------------- schema and connections

#[tokio::test]
async fn readiness_reports_pending_migrations_and_an_unreachable_database() {
    for backend in available_backends() {
        let test = TestBackend::create(backend).await.unwrap();
        assert_eq!(test.store.readiness().await, Readiness::Ready);
        // Later issues add migrations; forgetting the first one is enough to pin the behaviour.
        test.execute("DELETE FROM _sqlx_migrations WHERE version = 1")
            .await
            .unwrap();
        let pending = Readiness::MigrationsPending { versions: vec![1] };
        assert_eq!(test.store.readiness().await, pending, "{backend}");
        test.store.close().await;
        let closed = test.store.readiness().await;
        assert!(
            matches!(closed, Readiness::Unreachable { .. }),
            "{backend}: {closed:?}"
        );
        test.remove().await;
    }
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    for_each_backend(|backend| async move {
        backend.store.migrate().await.unwrap();
        assert_eq!(backend.store.readiness().await, Readiness::Ready);
        assert_eq!(backend.store.backend(), backend.backend);
    })
    .await;
}

#[tokio::test]
async fn a_sqlite_store_runs_in_wal_mode_with_foreign_keys_a_busy_timeout_and_memory_temp_store() {
    let backend = TestBackend::create(Backend::Sqlite).await.unwrap();
    let journal_mode = backend.fetch_text("PRAGMA journal_mode").await.unwrap();
    assert_eq!(journal_mode.as_deref(), Some("wal"));
    assert_eq!(backend.fetch_i64("PRAGMA foreign_keys").await.unwrap(), 1);
    assert_eq!(
        backend.fetch_i64("PRAGMA busy_timeout").await.unwrap(),
        5000
    );
    assert_eq!(
        backend.fetch_i64("PRAGMA synchronous").await.unwrap(),
        1,
        "NORMAL"
    );
    assert_eq!(
        backend.fetch_i64("PRAGMA temp_store").await.unwrap(),
        2,
        "MEMORY"
    );
    backend.remove().await;
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let store = igpub::store::connect(&url, vault_of(&KeyRing::generate_key()))
        .await
        .unwrap();
    assert!(path.exists());
    assert_eq!(store.readiness().await, Readiness::Ready);
    store.close().await;
}

#[tokio::test]
async fn an_in_memory_sqlite_store_keeps_its_data_across_pooled_connections() {
    let vault = vault_of(&KeyRing::generate_key());
    let store = igpub::store::connect("sqlite::memory:", vault)
        .await
        .unwrap();
    let (tenant, _) = store.create_tenant("Acme").await.unwrap();
    let reads = (0..8).map(|_| store.get_tenant(tenant.id));
    for read in futures::future::join_all(reads).await {
        assert_eq!(read.unwrap().id, tenant.id);
    }
}

#[tokio::test]
async fn an_unsupported_database_url_names_the_setting_without_echoing_the_url() {
    let vault = vault_of(&KeyRing::generate_key());
    let url = "mysql://admin:hunter2@db/igpub";
    match igpub::store::connect_with(url, vault, ConnectOptions::default()).await {
        Err(error @ StoreError::UnsupportedDatabaseUrl { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("database_url") && message.contains("\"mysql\""),
                "{message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
        }
        other => panic!("expected UnsupportedDatabaseUrl, got {other:?}"),
    }
}

#[tokio::test]
async fn debug_and_json_output_of_integrations_and_stores_never_show_a_token() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await.id;
        let new = account("42", "EAAG-visible-nowhere");
        assert!(!format!("{new:?}").contains("EAAG-visible-nowhere"));
        let integration = connect(&backend, tenant, new).await;
        let json = serde_json::to_string(&integration).unwrap();
        let shown = format!("{integration:?} {json} {:?}", backend.store);
        assert!(
            !shown.contains("EAAG-visible-nowhere") && !shown.contains("v1."),
            "{shown}"
        );
    })
    .await;
}

#[tokio::test]
async fn learned_processing_times_are_kept_per_kind_and_replaced_by_the_newest() {
    for_each_backend(|backend| async move {
        let store = &backend.store;
        assert_eq!(store.learned_processing().await.unwrap(), Vec::new());
        let first: Vec<Duration> = [2100, 1900, 2000].map(Duration::from_millis).to_vec();
        store
            .save_learned_processing(ContainerKind::Image, &first)
            .await
            .unwrap();
        let saved_at = backend.clock.now();
        backend.clock.advance(Duration::from_secs(60));
        let videos = vec![Duration::from_secs(45)];
        store
            .save_learned_processing(ContainerKind::Video, &videos)
            .await
            .unwrap();
        let newer = vec![Duration::from_millis(1800)];
        store
            .save_learned_processing(ContainerKind::Image, &newer)
            .await
            .unwrap();
        let mut learned = store.learned_processing().await.unwrap();
        learned.sort_by_key(|learned| learned.kind.as_str());
        // The store keeps milliseconds.
        let later =
            jiff::Timestamp::from_millisecond(backend.clock.now().as_millisecond()).unwrap();
        assert_eq!(
            learned,
            vec![
                LearnedProcessing {
                    kind: ContainerKind::Image,
                    samples: newer,
                    saved_at: later,
                },
                LearnedProcessing {
                    kind: ContainerKind::Video,
                    samples: videos,
                    saved_at: later,
                },
            ]
        );
        assert!(saved_at < later);
    })
    .await;
}
