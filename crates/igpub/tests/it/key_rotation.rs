//! `igpub keys rotate` re-encrypts every secret the vault seals (issue #8 / #4): integration
//! tokens, Meta app secrets, webhook signing secrets and connect session tokens, on both
//! backends, so that the old key can be removed from the ring afterwards.

use std::time::Duration;

use igpub::cli::keys::rotate_all;
use igpub::store::Clock as _;
use igpub::store::testing::{TestBackend, for_each_backend, vault_of};
use igpub::store::{
    AccountChoice, ConnectSessionId, ConnectSessionLookup, IntegrationId, KindRotation,
    MetaAppOverride, NewConnectSession, NewIntegration, NewOutboundEvent, NewWebhookEndpoint,
    SecretKind, SharedStore, StoreError, TenantId, WebhookId,
};
use igpub::vault::{KeyRing, VaultError};
use igpub::webhooks_out::{REPLAY_TOLERANCE, new_secret, sign, verify};
use jiff::SignedDuration;
use secrecy::{ExposeSecret, SecretString};

// ---------------------------------------------------------------- fixtures

/// One tenant's secrets of every kind, all sealed under the backend's original key (key A).
struct Secrets {
    tenant: TenantId,
    integrations: Vec<(IntegrationId, String)>,
    app_secret: String,
    webhooks: Vec<(WebhookId, SecretString)>,
    sessions: Vec<(ConnectSessionId, String)>,
}

impl Secrets {
    fn count(&self) -> u64 {
        let rows = self.integrations.len() + 1 + self.webhooks.len() + self.sessions.len();
        u64::try_from(rows).unwrap()
    }
}

/// Creates `per_kind` integrations, webhook endpoints and connect sessions (plus the tenant's
/// Meta app secret); the last webhook endpoint is deleted, since its row keeps its secret.
async fn seal_secrets_of_every_kind(backend: &TestBackend, per_kind: usize) -> Secrets {
    let store = &backend.store;
    let (tenant, _) = store.create_tenant("Acme").await.unwrap();
    let tenant = tenant.id;
    let mut integrations = Vec::new();
    for n in 0..per_kind {
        let token = format!("EAAG-page-token-{n}");
        let new = NewIntegration {
            ig_user_id: format!("1784140000000000{n}"),
            ig_username: format!("shop_{n}"),
            facebook_page_id: format!("99000{n}"),
            page_token: SecretString::from(token.clone()),
            token_expires_at: None,
        };
        let integration = store
            .upsert_instagram_integration(tenant, new)
            .await
            .unwrap();
        integrations.push((integration.id, token));
    }
    let app_secret = "meta-app-secret".to_owned();
    let app = MetaAppOverride {
        app_id: "138483919580948".into(),
        app_secret: SecretString::from(app_secret.clone()),
        redirect_url: None,
    };
    store.set_meta_app_override(tenant, &app).await.unwrap();
    let mut webhooks = Vec::new();
    for n in 0..per_kind {
        let secret = new_secret();
        let new = NewWebhookEndpoint {
            url: format!("https://hooks.acme.example/igpub/{n}"),
            description: format!("endpoint {n}"),
            events: vec!["post.published".to_owned()],
            secret: secret.clone(),
        };
        webhooks.push((store.create_webhook(tenant, new).await.unwrap().id, secret));
    }
    if let Some((deleted, _)) = webhooks.last() {
        store.delete_webhook(tenant, *deleted).await.unwrap();
    }
    let mut sessions = Vec::new();
    for n in 0..per_kind {
        let token = format!("EAAG-user-token-{n}");
        let new = NewConnectSession {
            meta_app_id: "138483919580948".to_owned(),
            user_token: SecretString::from(token.clone()),
            user_token_expires_at: None,
            choices: vec![AccountChoice {
                ig_user_id: format!("1784140000000000{n}"),
                ig_username: Some(format!("shop_{n}")),
                ig_name: None,
                profile_picture_url: None,
                facebook_page_id: format!("99000{n}"),
                facebook_page_name: None,
            }],
            return_to: None,
            ttl: Duration::from_secs(30 * 60),
        };
        let session = store.create_connect_session(tenant, new).await.unwrap();
        sessions.push((session.id, token));
    }
    Secrets {
        tenant,
        integrations,
        app_secret,
        webhooks,
        sessions,
    }
}

/// `IGPUB_SECRET_KEYS` with `first` active and `then` kept for decrypting.
fn ring(first: &SecretString, then: &SecretString) -> SecretString {
    SecretString::from(format!(
        "{},{}",
        first.expose_secret(),
        then.expose_secret()
    ))
}

/// The text every envelope sealed under `key` starts with: `v1.<key id>.`.
fn envelope_prefix(key: &SecretString) -> String {
    let key_id = KeyRing::from_setting(key).unwrap().active_key_id();
    format!("v1.{key_id}.")
}

/// Every stored envelope of `secrets`, read raw from the database, in a fixed order.
async fn stored_envelopes(backend: &TestBackend, secrets: &Secrets) -> Vec<String> {
    let mut queries = Vec::new();
    for (id, _) in &secrets.integrations {
        queries.push(format!(
            "SELECT api_key FROM integrations WHERE id = '{id}'"
        ));
    }
    let tenant = secrets.tenant;
    queries.push(format!(
        "SELECT meta_app_secret FROM tenants WHERE id = '{tenant}'"
    ));
    for (id, _) in &secrets.webhooks {
        queries.push(format!(
            "SELECT secret FROM webhook_endpoints WHERE id = '{id}'"
        ));
    }
    for (id, _) in &secrets.sessions {
        queries.push(format!(
            "SELECT user_token FROM connect_sessions WHERE id = '{id}'"
        ));
    }
    let mut envelopes = Vec::new();
    for query in queries {
        let envelope = backend.fetch_text(&query).await.unwrap();
        envelopes.push(envelope.unwrap_or_else(|| panic!("no envelope for {query}")));
    }
    envelopes
}

/// Opens every secret through the store's own readers, as the service would.
async fn assert_every_secret_opens(store: &SharedStore, secrets: &Secrets) {
    let tenant = secrets.tenant;
    for (id, expected) in &secrets.integrations {
        let token = store.integration_token(tenant, *id).await.unwrap();
        assert_eq!(token.expose_secret(), expected);
    }
    let app = store.meta_app_override(tenant).await.unwrap().unwrap();
    assert_eq!(app.app_secret.expose_secret(), secrets.app_secret);
    for (id, expected) in &secrets.sessions {
        match store.open_connect_session(tenant, *id).await.unwrap() {
            ConnectSessionLookup::Open(open) => {
                assert_eq!(open.user_token.expose_secret(), expected);
            }
            ConnectSessionLookup::Expired => panic!("connect session {id} expired"),
        }
    }
}

/// Announces one event, leases its deliveries through `store` and checks that each is signed
/// with the secret the tenant was given at registration (so receivers need no change).
async fn assert_deliveries_sign_with_the_registered_secrets(
    backend: &TestBackend,
    store: &SharedStore,
    secrets: &Secrets,
) {
    let payload = r#"{"type":"post.published"}"#;
    let event = NewOutboundEvent {
        tenant: secrets.tenant,
        event_type: "post.published".to_owned(),
        source: "key-rotation-test".to_owned(),
        id: igpub::webhooks_out::events::new_event_id(),
        payload: payload.to_owned(),
    };
    assert!(store.record_event(event).await.unwrap());
    let until = backend
        .clock
        .now()
        .checked_add(SignedDuration::from_secs(60))
        .unwrap();
    let due = store.lease_due_deliveries("rotation-test", until, 10).await;
    let due = due.unwrap();
    // The deleted endpoint gets no delivery; every live one does.
    assert_eq!(due.len(), secrets.webhooks.len() - 1);
    let now = backend.clock.now().as_second();
    for delivery in due {
        let (_, registered) = secrets
            .webhooks
            .iter()
            .find(|(id, _)| *id == delivery.webhook)
            .unwrap();
        let header = sign(&delivery.secret, now, delivery.payload.as_bytes());
        let verified = verify(
            registered,
            &header,
            payload.as_bytes(),
            now,
            REPLAY_TOLERANCE,
        );
        assert!(
            verified.is_ok(),
            "webhook {}: {verified:?}",
            delivery.webhook
        );
    }
}

fn output(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn after_rotation_every_kind_of_secret_opens_without_the_old_key() {
    for_each_backend(|backend| async move {
        let secrets = seal_secrets_of_every_kind(&backend, 2).await;
        let key_a = backend.secret_keys.clone();
        let key_b = KeyRing::generate_key();

        let rotating = backend
            .reopen(vault_of(&ring(&key_b, &key_a)))
            .await
            .unwrap();
        let mut out = Vec::new();
        let done = rotate_all(rotating.as_ref(), 2, &mut out).await.unwrap();
        rotating.close().await;
        assert_eq!(done, secrets.count());
        let progress = output(out);
        for line in [
            "integration tokens: 2 re-encrypted",
            "Meta app secrets: 1 re-encrypted",
            "webhook signing secrets: 2 re-encrypted",
            "connect session tokens: 2 re-encrypted",
            "done: every stored secret is under the active key",
        ] {
            assert!(progress.contains(line), "no {line:?} in:\n{progress}");
        }

        // The raw rows name key B, and key A is no longer needed for anything.
        let prefix_b = envelope_prefix(&key_b);
        for envelope in stored_envelopes(&backend, &secrets).await {
            assert!(
                envelope.starts_with(&prefix_b),
                "{envelope} is not under key B"
            );
        }
        let b_only = backend.reopen(vault_of(&key_b)).await.unwrap();
        assert_every_secret_opens(&b_only, &secrets).await;
        assert_deliveries_sign_with_the_registered_secrets(&backend, &b_only, &secrets).await;
        b_only.close().await;
    })
    .await;
}

#[tokio::test]
async fn an_interrupted_rotation_finishes_when_run_again_and_a_second_run_changes_nothing() {
    for_each_backend(|backend| async move {
        let secrets = seal_secrets_of_every_kind(&backend, 3).await;
        let key_a = backend.secret_keys.clone();
        let key_b = KeyRing::generate_key();
        let both = ring(&key_b, &key_a);

        // The first process re-encrypts one batch, reaching into the second kind, then dies.
        let first = backend.reopen(vault_of(&both)).await.unwrap();
        let report = first.rotate_tokens(4).await.unwrap();
        first.close().await;
        let kind = |kind, re_encrypted, remaining| KindRotation {
            kind,
            re_encrypted,
            remaining,
        };
        assert_eq!(
            report.kinds,
            [
                kind(SecretKind::IntegrationToken, 3, 0),
                kind(SecretKind::MetaAppSecret, 1, 0),
                kind(SecretKind::WebhookSecret, 0, 3),
                kind(SecretKind::ConnectSessionToken, 0, 3),
            ]
        );
        assert_eq!((report.re_encrypted, report.remaining), (4, 6));

        // A new run picks up where it stopped and re-encrypts only the rest.
        let second = backend.reopen(vault_of(&both)).await.unwrap();
        let mut out = Vec::new();
        assert_eq!(rotate_all(second.as_ref(), 4, &mut out).await.unwrap(), 6);
        let progress = output(out);
        for line in [
            "re-encrypted 4 secret(s) so far, 2 remaining (connect session tokens 2)",
            "integration tokens: 0 re-encrypted",
            "Meta app secrets: 0 re-encrypted",
            "webhook signing secrets: 3 re-encrypted",
            "connect session tokens: 3 re-encrypted",
        ] {
            assert!(progress.contains(line), "no {line:?} in:\n{progress}");
        }

        // Running again finds nothing to do and leaves every envelope byte for byte as it was.
        let rotated = stored_envelopes(&backend, &secrets).await;
        let mut out = Vec::new();
        assert_eq!(rotate_all(second.as_ref(), 4, &mut out).await.unwrap(), 0);
        second.close().await;
        assert!(output(out).contains("0 remaining"));
        assert_eq!(stored_envelopes(&backend, &secrets).await, rotated);

        let prefix_b = envelope_prefix(&key_b);
        assert!(
            rotated
                .iter()
                .all(|envelope| envelope.starts_with(&prefix_b))
        );
        let b_only = backend.reopen(vault_of(&key_b)).await.unwrap();
        assert_every_secret_opens(&b_only, &secrets).await;
        b_only.close().await;
    })
    .await;
}

#[tokio::test]
async fn rotation_stops_naming_a_webhook_whose_secret_no_key_of_the_ring_opens() {
    for_each_backend(|backend| async move {
        let (tenant, _) = backend.store.create_tenant("Acme").await.unwrap();
        let new = NewWebhookEndpoint {
            url: "https://hooks.acme.example/igpub".to_owned(),
            description: "orders".to_owned(),
            events: vec!["post.published".to_owned()],
            secret: new_secret(),
        };
        let webhook = backend.store.create_webhook(tenant.id, new).await.unwrap();
        let before = stored_secret_of(&backend, webhook.id).await;

        let stranger = backend
            .reopen(vault_of(&KeyRing::generate_key()))
            .await
            .unwrap();
        let mut out = Vec::new();
        let stopped = rotate_all(stranger.as_ref(), 10, &mut out).await;
        stranger.close().await;
        match stopped {
            Err(igpub::cli::keys::RotateError::Store {
                done: 0,
                source:
                    error @ StoreError::Vault {
                        source: VaultError::UnknownKey { .. },
                        ..
                    },
            }) => {
                assert!(
                    error.to_string().contains(&webhook.id.to_string()),
                    "{error}"
                );
            }
            other => panic!("rotation without the webhook's key did not stop: {other:?}"),
        }
        assert_eq!(stored_secret_of(&backend, webhook.id).await, before);
    })
    .await;
}

async fn stored_secret_of(backend: &TestBackend, webhook: WebhookId) -> Option<String> {
    let query = format!("SELECT secret FROM webhook_endpoints WHERE id = '{webhook}'");
    backend.fetch_text(&query).await.unwrap()
}
