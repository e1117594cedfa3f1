//! Integration tests of `igpub::store`: one contract suite, run on SQLite and (when
//! `IGPUB_TEST_DATABASE_URL` is set) on PostgreSQL.

use std::time::Duration;

use igpub::store::Clock as _;
use igpub::store::testing::{TestBackend, available_backends, for_each_backend, vault_of};
use igpub::store::{
    Backend, ConnectOptions, IntegrationId, IntegrationStatus, MetaAppOverride, NewIntegration,
    OAUTH_STATE_TTL, OAuthStateError, Readiness, RotationReport, StoreError, TOKEN_EXPIRY_WARNING,
    Tenant, TenantId, TenantScope,
};
use igpub::vault::{KeyRing, VaultError};
use jiff::SignedDuration;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn account(ig_user_id: &str, token: &str) -> NewIntegration {
    NewIntegration {
        ig_user_id: ig_user_id.to_owned(),
        ig_username: format!("user_{ig_user_id}"),
        facebook_page_id: format!("9{ig_user_id}"),
        page_token: SecretString::from(token.to_owned()),
        token_expires_at: None,
    }
}

fn expiring(ig_user_id: &str, backend: &TestBackend, after: SignedDuration) -> NewIntegration {
    NewIntegration {
        token_expires_at: Some(backend.clock.now().checked_add(after).unwrap()),
        ..account(ig_user_id, &format!("EAAG-token-of-{ig_user_id}"))
    }
}

async fn new_tenant(backend: &TestBackend, name: &str) -> Tenant {
    backend.store.create_tenant(name).await.unwrap().0
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------- tenants and API keys

#[tokio::test]
async fn a_new_tenant_gets_an_api_key_that_authenticates_it() {
    for_each_backend(|backend| async move {
        let (tenant, key) = backend.store.create_tenant("  Acme agency ").await.unwrap();
        assert_eq!(tenant.name, "Acme agency");
        assert_eq!(tenant.created_at, backend.clock.now());
        assert!(
            key.expose_secret()
                .starts_with(igpub::store::API_KEY_PREFIX)
        );
        let found = backend
            .store
            .authenticate_api_key(key.expose_secret())
            .await
            .unwrap();
        assert_eq!(found, Some(tenant.clone()));
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
        assert_not_found(backend.store.get_tenant(nobody).await, "get_tenant");
        assert_not_found(
            backend.store.create_api_key(nobody, "x").await,
            "create_api_key",
        );
        assert_not_found(
            backend
                .store
                .upsert_instagram_integration(nobody, account("1", "t"))
                .await,
            "upsert",
        );
        assert_not_found(
            backend
                .store
                .create_oauth_state(nobody, OAUTH_STATE_TTL, serde_json::json!({}))
                .await,
            "create_oauth_state",
        );
        assert_not_found(
            backend.store.meta_app_override(nobody).await,
            "meta_app_override",
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_tenant_name_is_refused_naming_the_field() {
    for_each_backend(|backend| async move {
        match backend.store.create_tenant(" ").await {
            Err(StoreError::InvalidInput { field: "name", .. }) => {}
            other => panic!("expected InvalidInput for name, got {other:?}"),
        }
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
        let mut altered = key.to_owned();
        let last = if altered.ends_with('A') { "B" } else { "A" };
        altered.replace_range(altered.len() - 1.., last);
        let unknown = format!("{}{}", &key[..14], "x".repeat(key.len() - 14));
        for presented in [
            "",
            "igpub_",
            "Bearer x",
            &altered,
            &unknown,
            &key[..key.len() - 1],
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
        let first_use = backend.clock.now();
        backend
            .store
            .authenticate_api_key(secret.expose_secret())
            .await
            .unwrap();
        backend.clock.advance(Duration::from_secs(30));
        backend
            .store
            .authenticate_api_key(secret.expose_secret())
            .await
            .unwrap();
        let keys = backend.store.list_api_keys(tenant.id).await.unwrap();
        assert_eq!(keys[0].last_used_at, Some(first_use));
        backend.clock.advance(Duration::from_secs(31));
        backend
            .store
            .authenticate_api_key(secret.expose_secret())
            .await
            .unwrap();
        let keys = backend.store.list_api_keys(tenant.id).await.unwrap();
        assert_eq!(keys[0].last_used_at, Some(backend.clock.now()));
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
        assert!(
            backend
                .store
                .list_api_keys(b.id)
                .await
                .unwrap()
                .iter()
                .all(|k| k.id != key.id)
        );
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
        let app = MetaAppOverride {
            app_id: "138483919580948".into(),
            app_secret: SecretString::from("meta-app-secret-value"),
            redirect_url: Some(
                "https://acme.example/oauth/facebook/callback"
                    .parse()
                    .unwrap(),
            ),
        };
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
        let tenant_now = backend.store.get_tenant(tenant.id).await.unwrap();
        assert_eq!(tenant_now.meta_app_id.as_deref(), Some("138483919580948"));
        let in_clear =
            "SELECT count(*) FROM tenants WHERE meta_app_secret = 'meta-app-secret-value'";
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
        assert_not_found(
            backend
                .store
                .set_meta_app_override(TenantId::generate(), &app)
                .await,
            "set_meta_app_override",
        );
    })
    .await;
}

// ---------------------------------------------------------------- integrations

#[tokio::test]
async fn connecting_an_account_stores_its_metadata_and_a_token_only_the_store_can_read() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let new = expiring(
            "17841405822304914",
            &backend,
            SignedDuration::from_hours(24 * 60),
        );
        let expires_at = new.token_expires_at;
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, new)
            .await
            .unwrap();
        assert_eq!(integration.tenant_id, tenant.id);
        assert_eq!(integration.status, IntegrationStatus::Active);
        assert_eq!(integration.metadata.ig_user_id, "17841405822304914");
        assert_eq!(integration.metadata.ig_username, "user_17841405822304914");
        assert_eq!(integration.metadata.facebook_page_id, "917841405822304914");
        assert_eq!(integration.metadata.token_expires_at, expires_at);
        assert_eq!(integration.last_verified_at, None);

        let token = backend
            .store
            .integration_token(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "EAAG-token-of-17841405822304914");
        assert_eq!(
            backend
                .store
                .get_integration(tenant.id, integration.id)
                .await
                .unwrap(),
            integration
        );

        let row = format!(
            "SELECT metadata FROM integrations WHERE id = '{}'",
            integration.id
        );
        let metadata: serde_json::Value =
            serde_json::from_str(&backend.fetch_text(&row).await.unwrap().unwrap()).unwrap();
        let keys: Vec<&str> = metadata
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 4);
        for key in ["igUserId", "igUsername", "facebookPageId", "tokenExpiresAt"] {
            assert!(keys.contains(&key), "metadata lacks {key}: {metadata}");
        }
        let sealed = format!(
            "SELECT api_key FROM integrations WHERE id = '{}'",
            integration.id
        );
        let sealed = backend.fetch_text(&sealed).await.unwrap().unwrap();
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
        let first = backend
            .store
            .upsert_instagram_integration(tenant.id, account("42", "old"))
            .await
            .unwrap();
        backend
            .store
            .mark_needs_reconnect(tenant.id, first.id, "190: session expired")
            .await
            .unwrap();
        backend.clock.advance(Duration::from_secs(60));

        let mut again = account("42", "new");
        again.ig_username = "renamed".into();
        let second = backend
            .store
            .upsert_instagram_integration(tenant.id, again)
            .await
            .unwrap();

        assert_eq!(second.id, first.id);
        assert_eq!(second.created_at, first.created_at);
        assert_eq!(second.updated_at, backend.clock.now());
        assert_eq!(second.status, IntegrationStatus::Active);
        assert_eq!(second.last_error, None);
        assert_eq!(second.metadata.ig_username, "renamed");
        let token = backend
            .store
            .integration_token(tenant.id, first.id)
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "new");
        assert_eq!(
            backend
                .store
                .list_integrations(TenantScope::Tenant(tenant.id))
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_reconnect_leaves_the_working_token_in_place() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, account("42", "working"))
            .await
            .unwrap();
        let mut broken = account("42", "");
        broken.ig_username = "someone-else".into();
        match backend
            .store
            .upsert_instagram_integration(tenant.id, broken)
            .await
        {
            Err(StoreError::InvalidInput {
                field: "page_token",
                ..
            }) => {}
            other => panic!("expected the empty token to be refused, got {other:?}"),
        }
        let token = backend
            .store
            .integration_token(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "working");
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
        let connects = (0..6).map(|i| {
            let store = backend.store.clone();
            async move {
                store
                    .upsert_instagram_integration(tenant.id, account("42", &format!("token-{i}")))
                    .await
                    .unwrap()
            }
        });
        let connected = futures::future::join_all(connects).await;
        assert!(connected.iter().all(|i| i.id == connected[0].id));
        let all = backend
            .store
            .list_integrations(TenantScope::Tenant(tenant.id))
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        let token = backend
            .store
            .integration_token(tenant.id, all[0].id)
            .await
            .unwrap();
        assert!(token.expose_secret().starts_with("token-"));
    })
    .await;
}

#[tokio::test]
async fn two_tenants_connecting_one_account_get_separate_integrations() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let of_a = backend
            .store
            .upsert_instagram_integration(a.id, account("42", "ta"))
            .await
            .unwrap();
        let of_b = backend
            .store
            .upsert_instagram_integration(b.id, account("42", "tb"))
            .await
            .unwrap();
        assert_ne!(of_a.id, of_b.id);
        let found = backend
            .store
            .find_integration_by_ig_user(b.id, "42")
            .await
            .unwrap();
        assert_eq!(found.map(|i| i.id), Some(of_b.id));
        assert_eq!(
            backend
                .store
                .integration_token(a.id, of_a.id)
                .await
                .unwrap()
                .expose_secret(),
            "ta"
        );
        assert_eq!(
            backend
                .store
                .integration_token(b.id, of_b.id)
                .await
                .unwrap()
                .expose_secret(),
            "tb"
        );
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
            owned_by_a.push(
                backend
                    .store
                    .upsert_instagram_integration(a.id, account(ig, "secret"))
                    .await
                    .unwrap(),
            );
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
        let expiring = store.integrations_expiring_within(TenantScope::Tenant(b.id), DAY * 10_000);
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
            let token = store.integration_token(a.id, integration.id).await.unwrap();
            assert_eq!(token.expose_secret(), "secret");
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_integration_is_not_found() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let nothing = IntegrationId::generate();
        assert_not_found(
            backend.store.get_integration(tenant.id, nothing).await,
            "get",
        );
        assert_not_found(
            backend.store.integration_token(tenant.id, nothing).await,
            "token",
        );
        assert_not_found(
            backend.store.disconnect(tenant.id, nothing).await,
            "disconnect",
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_needs_reconnect_with_its_reason_until_verified_again() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, account("42", "t"))
            .await
            .unwrap();
        let verified_at = backend.clock.now();
        backend
            .store
            .mark_verified(tenant.id, integration.id, verified_at)
            .await
            .unwrap();
        backend.clock.advance(Duration::from_secs(5));

        let reason = "Error validating access token: The user has not authorized application.";
        let marked = backend
            .store
            .mark_needs_reconnect(tenant.id, integration.id, reason)
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
        let healed = backend
            .store
            .mark_verified(tenant.id, integration.id, later)
            .await
            .unwrap();
        assert_eq!(healed.status, IntegrationStatus::Active);
        assert_eq!(healed.last_error, None);
        assert_eq!(healed.last_verified_at, Some(later));
    })
    .await;
}

#[tokio::test]
async fn a_disconnected_integration_has_no_token_until_it_is_reconnected() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, account("42", "t"))
            .await
            .unwrap();
        let gone = backend
            .store
            .disconnect(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(gone.status, IntegrationStatus::Disconnected);
        let wiped = format!(
            "SELECT count(*) FROM integrations WHERE id = '{}' AND api_key IS NULL",
            integration.id
        );
        assert_eq!(backend.fetch_i64(&wiped).await.unwrap(), 1);
        let id = integration.id;
        for result in [
            backend
                .store
                .integration_token(tenant.id, id)
                .await
                .map(|_| ()),
            backend
                .store
                .mark_verified(tenant.id, id, backend.clock.now())
                .await
                .map(|_| ()),
            backend
                .store
                .mark_needs_reconnect(tenant.id, id, "190")
                .await
                .map(|_| ()),
        ] {
            assert!(
                matches!(result, Err(StoreError::Disconnected(got)) if got == id),
                "{result:?}"
            );
        }
        assert_eq!(
            backend
                .store
                .disconnect(tenant.id, id)
                .await
                .unwrap()
                .status,
            IntegrationStatus::Disconnected,
            "disconnecting twice is harmless"
        );

        let back = backend
            .store
            .upsert_instagram_integration(tenant.id, account("42", "t2"))
            .await
            .unwrap();
        assert_eq!((back.id, back.status), (id, IntegrationStatus::Active));
        assert_eq!(
            backend
                .store
                .integration_token(tenant.id, id)
                .await
                .unwrap()
                .expose_secret(),
            "t2"
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_expiring_within_seven_days_are_listed_soonest_first() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let other = new_tenant(&backend, "Other").await;
        let store = &backend.store;
        let hours = SignedDuration::from_hours;
        let connect = async |owner: TenantId, new: NewIntegration| {
            store
                .upsert_instagram_integration(owner, new)
                .await
                .unwrap()
        };
        let in_one_day = connect(tenant.id, expiring("1", &backend, hours(24))).await;
        let in_six_days = connect(tenant.id, expiring("2", &backend, hours(6 * 24))).await;
        connect(tenant.id, expiring("3", &backend, hours(8 * 24))).await;
        connect(tenant.id, account("4", "never-expires")).await;
        let expired = connect(tenant.id, expiring("5", &backend, hours(-24))).await;
        let dropped = connect(tenant.id, expiring("6", &backend, hours(48))).await;
        store.disconnect(tenant.id, dropped.id).await.unwrap();
        let others = connect(other.id, expiring("7", &backend, hours(72))).await;

        let ids = |list: Vec<igpub::store::Integration>| {
            list.into_iter().map(|i| i.id).collect::<Vec<_>>()
        };
        let mine = store
            .integrations_expiring_within(TenantScope::Tenant(tenant.id), TOKEN_EXPIRY_WARNING)
            .await
            .unwrap();
        assert_eq!(ids(mine), vec![expired.id, in_one_day.id, in_six_days.id]);
        let everyone = store
            .integrations_expiring_within(TenantScope::AllTenants, TOKEN_EXPIRY_WARNING)
            .await
            .unwrap();
        assert_eq!(
            ids(everyone),
            vec![expired.id, in_one_day.id, others.id, in_six_days.id]
        );
    })
    .await;
}

#[tokio::test]
async fn listing_across_tenants_covers_every_tenant_oldest_first() {
    for_each_backend(|backend| async move {
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let first = backend
            .store
            .upsert_instagram_integration(b.id, account("1", "t"))
            .await
            .unwrap();
        backend.clock.advance(Duration::from_millis(1));
        let second = backend
            .store
            .upsert_instagram_integration(a.id, account("2", "t"))
            .await
            .unwrap();
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
    let integration = backend
        .store
        .upsert_instagram_integration(tenant.id, account("42", token))
        .await
        .unwrap();
    backend
        .store
        .upsert_instagram_integration(tenant.id, account("42", new_token))
        .await
        .unwrap();
    backend
        .store
        .integration_token(tenant.id, integration.id)
        .await
        .unwrap();
    let app = MetaAppOverride {
        app_id: "1".into(),
        app_secret: SecretString::from(app_secret),
        redirect_url: None,
    };
    backend
        .store
        .set_meta_app_override(tenant.id, &app)
        .await
        .unwrap();
    let state = backend
        .store
        .create_oauth_state(
            tenant.id,
            OAUTH_STATE_TTL,
            serde_json::json!({"returnTo": "/"}),
        )
        .await
        .unwrap();

    let files = backend.sqlite_files();
    assert!(
        files.iter().any(|f| f.to_string_lossy().ends_with("-wal")),
        "WAL mode: {files:?}"
    );
    let mut bytes = Vec::new();
    for file in &files {
        bytes.extend(std::fs::read(file).unwrap());
    }
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
        let a = new_tenant(&backend, "A").await;
        let b = new_tenant(&backend, "B").await;
        let source = backend
            .store
            .upsert_instagram_integration(a.id, account("1", "a-token"))
            .await
            .unwrap();
        let same_tenant = backend
            .store
            .upsert_instagram_integration(a.id, account("2", "other"))
            .await
            .unwrap();
        let other_tenant = backend
            .store
            .upsert_instagram_integration(b.id, account("3", "b-token"))
            .await
            .unwrap();
        for target in [same_tenant.id, other_tenant.id] {
            let copied = backend
                .execute(&format!(
                    "UPDATE integrations SET api_key = \
                     (SELECT api_key FROM integrations WHERE id = '{}') WHERE id = '{target}'",
                    source.id
                ))
                .await
                .unwrap();
            assert_eq!(copied, 1);
        }
        for (tenant, target) in [(a.id, same_tenant.id), (b.id, other_tenant.id)] {
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
        let original = backend
            .store
            .integration_token(a.id, source.id)
            .await
            .unwrap();
        assert_eq!(original.expose_secret(), "a-token");
    })
    .await;
}

// ---------------------------------------------------------------- OAuth states

#[tokio::test]
async fn an_oauth_state_is_consumed_once_and_returns_its_tenant_and_extra() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let extra =
            serde_json::json!({"redirectUri": "https://igpub.example/oauth/facebook/callback"});
        let state = backend
            .store
            .create_oauth_state(tenant.id, OAUTH_STATE_TTL, extra.clone())
            .await
            .unwrap();
        let created = backend.clock.now();
        backend.clock.advance(Duration::from_secs(30));
        let consumed = backend
            .store
            .consume_oauth_state(state.expose_secret())
            .await
            .unwrap();
        assert_eq!(consumed.tenant_id, tenant.id);
        assert_eq!(consumed.extra, extra);
        assert_eq!(consumed.created_at, created);
        assert_eq!(
            consumed.expires_at,
            created.checked_add(SignedDuration::from_mins(10)).unwrap()
        );
        match backend
            .store
            .consume_oauth_state(state.expose_secret())
            .await
        {
            Err(StoreError::OAuthState(OAuthStateError::AlreadyUsed)) => {}
            other => panic!("a state was accepted twice: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn concurrent_callbacks_with_one_state_let_exactly_one_through() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let state = backend
            .store
            .create_oauth_state(tenant.id, OAUTH_STATE_TTL, serde_json::json!(null))
            .await
            .unwrap();
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
        let tenant = new_tenant(&backend, "Acme").await;
        let create = || {
            backend
                .store
                .create_oauth_state(tenant.id, OAUTH_STATE_TTL, serde_json::json!({}))
        };
        let early = create().await.unwrap();
        let late = create().await.unwrap();
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
        match backend
            .store
            .consume_oauth_state(late.expose_secret())
            .await
        {
            Err(StoreError::OAuthState(OAuthStateError::Expired)) => {}
            other => panic!("an expired state was not refused as expired: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_oauth_state_is_refused_as_unknown() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let issued = backend
            .store
            .create_oauth_state(tenant.id, OAUTH_STATE_TTL, serde_json::json!({}))
            .await
            .unwrap();
        let mut forged = issued.expose_secret().to_owned();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(forged.len() - 1.., last);
        for state in ["", "abc", "' OR 1=1 --", &forged] {
            match backend.store.consume_oauth_state(state).await {
                Err(StoreError::OAuthState(OAuthStateError::Unknown)) => {}
                other => panic!("{state:?} was not refused as unknown: {other:?}"),
            }
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
        let tenant = new_tenant(&backend, "Acme").await;
        let state = backend
            .store
            .create_oauth_state(tenant.id, OAUTH_STATE_TTL, serde_json::json!({}))
            .await
            .unwrap();
        let state = state.expose_secret();
        let by =
            |value: &str| format!("SELECT count(*) FROM oauth_states WHERE state_hash = '{value}'");
        assert_eq!(backend.fetch_i64(&by(&sha256_hex(state))).await.unwrap(), 1);
        assert_eq!(backend.fetch_i64(&by(state)).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn expired_oauth_states_are_deleted_and_live_ones_kept() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let extra = serde_json::json!({});
        backend
            .store
            .create_oauth_state(tenant.id, Duration::from_secs(60), extra.clone())
            .await
            .unwrap();
        let live = backend
            .store
            .create_oauth_state(tenant.id, OAUTH_STATE_TTL, extra)
            .await
            .unwrap();
        backend.clock.advance(Duration::from_secs(60));
        assert_eq!(
            backend.store.delete_expired_oauth_states().await.unwrap(),
            1
        );
        assert!(
            backend
                .store
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
        let tenant = new_tenant(&backend, "Acme").await;
        match backend
            .store
            .create_oauth_state(tenant.id, Duration::ZERO, serde_json::json!({}))
            .await
        {
            Err(StoreError::InvalidInput { field: "ttl", .. }) => {}
            other => panic!("expected InvalidInput for ttl, got {other:?}"),
        }
    })
    .await;
}

// ---------------------------------------------------------------- key rotation

fn keys(keys: &[&SecretString]) -> SecretString {
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
        let tenant = new_tenant(&backend, "Acme").await;
        let mut integrations = Vec::new();
        for ig in ["1", "2", "3", "4", "5"] {
            let new = account(ig, &format!("token-{ig}"));
            integrations.push(
                backend
                    .store
                    .upsert_instagram_integration(tenant.id, new)
                    .await
                    .unwrap(),
            );
        }
        let app = MetaAppOverride {
            app_id: "1".into(),
            app_secret: SecretString::from("app-secret"),
            redirect_url: None,
        };
        backend
            .store
            .set_meta_app_override(tenant.id, &app)
            .await
            .unwrap();

        let old_key = &backend.secret_keys;
        let new_key = KeyRing::generate_key();
        let rotated = backend
            .reopen(vault_of(&keys(&[&new_key, old_key])))
            .await
            .unwrap();
        // Until rotated, the old key still opens the old envelopes.
        let token = rotated
            .integration_token(tenant.id, integrations[0].id)
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "token-1");

        let report = |re_encrypted, remaining| RotationReport {
            re_encrypted,
            remaining,
        };
        assert_eq!(rotated.rotate_tokens(4).await.unwrap(), report(4, 2));
        assert_eq!(rotated.rotate_tokens(4).await.unwrap(), report(2, 0));
        assert_eq!(rotated.rotate_tokens(4).await.unwrap(), report(0, 0));

        // Nothing needs the old key any more.
        let new_only = backend.reopen(vault_of(&new_key)).await.unwrap();
        for integration in &integrations {
            let token = new_only
                .integration_token(tenant.id, integration.id)
                .await
                .unwrap();
            assert_eq!(
                token.expose_secret(),
                format!("token-{}", integration.metadata.ig_user_id)
            );
        }
        let app_now = new_only
            .meta_app_override(tenant.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app_now.app_secret.expose_secret(), "app-secret");
        match backend
            .store
            .integration_token(tenant.id, integrations[0].id)
            .await
        {
            Err(StoreError::Vault {
                source: VaultError::UnknownKey { key_id },
                ..
            }) => {
                assert_eq!(key_id, new_only_key_id(&new_key));
            }
            other => panic!("the old ring opened a rotated token: {other:?}"),
        }
    })
    .await;
}

fn new_only_key_id(key: &SecretString) -> igpub::vault::KeyId {
    KeyRing::from_setting(key).unwrap().active_key_id()
}

#[tokio::test]
async fn rotation_stops_with_an_error_naming_a_secret_whose_key_is_gone() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, account("1", "t"))
            .await
            .unwrap();
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
                assert!(
                    error.to_string().contains(&integration.id.to_string()),
                    "{error}"
                );
            }
            other => panic!("rotation without the old key did not stop: {other:?}"),
        }
        let token = backend
            .store
            .integration_token(tenant.id, integration.id)
            .await
            .unwrap();
        assert_eq!(
            token.expose_secret(),
            "t",
            "a failed rotation changes nothing"
        );
        assert!(matches!(
            backend.store.rotate_tokens(0).await,
            Err(StoreError::InvalidInput {
                field: "batch_size",
                ..
            })
        ));
    })
    .await;
}

// ---------------------------------------------------------------- schema and connections

#[tokio::test]
async fn readiness_reports_pending_migrations_until_migrate_runs() {
    for backend in available_backends() {
        let test = TestBackend::create(backend).await.unwrap();
        assert_eq!(test.store.readiness().await, Readiness::Ready);
        test.execute("DROP TABLE _sqlx_migrations").await.unwrap();
        match test.store.readiness().await {
            Readiness::MigrationsPending { versions } => assert_eq!(versions, vec![1]),
            other => panic!("{backend}: expected pending migrations, got {other:?}"),
        }
        test.store.close().await;
        assert!(matches!(
            test.store.readiness().await,
            Readiness::Unreachable { .. }
        ));
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
async fn a_sqlite_store_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let backend = TestBackend::create(Backend::Sqlite).await.unwrap();
    assert_eq!(
        backend
            .fetch_text("PRAGMA journal_mode")
            .await
            .unwrap()
            .as_deref(),
        Some("wal")
    );
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
    let store = igpub::store::connect("sqlite::memory:", vault_of(&KeyRing::generate_key()))
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
    let options = ConnectOptions::default();
    let vault = vault_of(&KeyRing::generate_key());
    match igpub::store::connect_with("mysql://admin:hunter2@db/igpub", vault, options).await {
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
async fn store_errors_and_debug_output_never_show_a_token() {
    for_each_backend(|backend| async move {
        let tenant = new_tenant(&backend, "Acme").await;
        let new = account("42", "EAAG-visible-nowhere");
        assert!(!format!("{new:?}").contains("EAAG-visible-nowhere"));
        let integration = backend
            .store
            .upsert_instagram_integration(tenant.id, new)
            .await
            .unwrap();
        let shown = format!(
            "{integration:?} {} {:?}",
            serde_json::to_string(&integration).unwrap(),
            backend.store
        );
        assert!(
            !shown.contains("EAAG-visible-nowhere") && !shown.contains("v1."),
            "{shown}"
        );
    })
    .await;
}
