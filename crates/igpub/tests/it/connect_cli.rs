//! The operator's commands around tenants, keys and integrations: parsed as `igpub` parses
//! them, and run against a real store (and, for `verify`, the simulator).

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use igpub::cli::integrations::{disconnect, list, verify};
use igpub::cli::keys::{generate, rotate_all};
use igpub::cli::tenant::{create, list as list_tenants};
use igpub::cli::{Cli, Command, GlobalArgs};
use igpub::connect::Connector;
use igpub::store::testing::{for_each_backend, vault_of};
use igpub::store::{Clock as _, IntegrationId, NewIntegration, TenantScope};
use igpub::telemetry::LogFormat;
use igpub::vault::KeyRing;
use igpub_sim::TokenFailure;
use jiff::SignedDuration;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{TestAppOptions, for_each_app, json_of};

fn output(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

fn account(ig_user_id: &str, username: &str) -> NewIntegration {
    NewIntegration {
        ig_user_id: ig_user_id.into(),
        ig_username: username.into(),
        facebook_page_id: format!("9{ig_user_id}"),
        page_token: SecretString::from(format!("EAAG-page-token-{ig_user_id}")),
        token_expires_at: None,
    }
}

#[test]
fn every_command_parses_with_the_global_flags_and_has_help() {
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from([
        "igpub",
        "--log-format",
        "json",
        "tenant",
        "create",
        "Acme agency",
        "--config",
        "/etc/igpub.toml",
    ])
    .unwrap();
    assert_eq!(cli.global.log_format, LogFormat::Json);
    assert_eq!(
        cli.global.config.as_deref(),
        Some(std::path::Path::new("/etc/igpub.toml"))
    );
    assert!(matches!(cli.command, Command::Tenant(_)));
    for args in [
        vec!["igpub", "tenant", "list"],
        vec!["igpub", "keys", "generate"],
        vec!["igpub", "keys", "rotate", "--batch-size", "10"],
        vec![
            "igpub",
            "integrations",
            "list",
            "--expiring-within-days",
            "7",
        ],
        vec!["igpub", "integrations", "verify"],
        vec!["igpub", "migrate"],
        vec!["igpub", "config", "show"],
        vec!["igpub", "serve", "--no-worker", "--listen", "127.0.0.1:0"],
    ] {
        assert!(Cli::try_parse_from(&args).is_ok(), "{args:?}");
    }
    let help = Cli::command().render_long_help().to_string();
    for command in [
        "serve",
        "tenant",
        "keys",
        "integrations",
        "migrate",
        "config",
    ] {
        assert!(help.contains(command), "{command} missing from --help");
    }
}

#[test]
fn bad_arguments_are_refused_naming_what_is_wrong() {
    let error = Cli::try_parse_from(["igpub", "integrations", "disconnect", "nope"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("integration id must be a UUID"), "{error}");
    let error = Cli::try_parse_from(["igpub", "keys", "rotate", "--batch-size", "0"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("--batch-size"), "{error}");
    let error = Cli::try_parse_from([
        "igpub",
        "integrations",
        "list",
        "--expiring-within-days",
        "3651",
    ])
    .unwrap_err()
    .to_string();
    assert!(error.contains("--expiring-within-days"), "{error}");
}

#[test]
fn a_config_file_that_does_not_exist_is_named() {
    let global = GlobalArgs {
        config: Some("/nonexistent/igpub.toml".into()),
        log_format: LogFormat::Human,
        runtime_threads: None,
    };
    let error = global.settings().unwrap_err().to_string();
    assert!(error.contains("/nonexistent/igpub.toml"), "{error}");
}

#[tokio::test]
async fn tenant_create_prints_a_working_api_key_once_and_list_shows_the_tenant() {
    for_each_backend(|backend| async move {
        let mut out = Vec::new();
        create(backend.store.as_ref(), "Acme agency", &mut out)
            .await
            .unwrap();
        let printed = output(out);
        let key = printed.lines().last().unwrap_or_default();
        let tenant = backend.store.authenticate_api_key(key).await.unwrap();
        assert_eq!(tenant.map(|t| t.name), Some("Acme agency".to_owned()));

        let mut out = Vec::new();
        list_tenants(backend.store.as_ref(), &mut out)
            .await
            .unwrap();
        let listed = output(out);
        assert!(listed.contains("Acme agency"), "{listed}");
        assert!(!listed.contains(key), "the key is shown only at creation");
    })
    .await;
}

#[test]
fn keys_generate_prints_a_key_the_key_ring_accepts() {
    let mut out = Vec::new();
    generate(&mut out).unwrap();
    let key = output(out).trim().to_owned();
    assert!(KeyRing::from_setting(&SecretString::from(key)).is_ok());
}

#[tokio::test]
async fn keys_rotate_re_encrypts_every_token_in_batches_until_none_remain() {
    for_each_backend(|backend| async move {
        let (tenant, _) = backend.store.create_tenant("Acme").await.unwrap();
        for n in 0..3 {
            let ig = format!("1784140000000000{n}");
            backend
                .store
                .upsert_instagram_integration(tenant.id, account(&ig, "shop"))
                .await
                .unwrap();
        }
        let new_key = KeyRing::generate_key();
        let both = SecretString::from(format!(
            "{},{}",
            new_key.expose_secret(),
            backend.secret_keys.expose_secret()
        ));
        let rotating = backend.reopen(vault_of(&both)).await.unwrap();

        let mut out = Vec::new();
        let done = rotate_all(rotating.as_ref(), 2, &mut out).await.unwrap();
        assert_eq!(done, 3);
        let progress = output(out);
        assert!(progress.contains("1 remaining"), "{progress}");
        assert!(progress.contains("0 remaining"), "{progress}");

        // Only the new key is needed from now on; running again finds nothing to do.
        let only_new = backend.reopen(vault_of(&new_key)).await.unwrap();
        for integration in only_new
            .list_integrations(TenantScope::Tenant(tenant.id))
            .await
            .unwrap()
        {
            let token = only_new
                .integration_token(tenant.id, integration.id)
                .await
                .unwrap();
            assert!(token.expose_secret().starts_with("EAAG-page-token-"));
        }
        let mut out = Vec::new();
        assert_eq!(rotate_all(only_new.as_ref(), 2, &mut out).await.unwrap(), 0);
        only_new.close().await;
        rotating.close().await;
    })
    .await;
}

#[tokio::test]
async fn integrations_list_flags_tokens_expiring_within_seven_days() {
    for_each_backend(|backend| async move {
        let (tenant, _) = backend.store.create_tenant("Acme").await.unwrap();
        let store = &backend.store;
        store
            .upsert_instagram_integration(tenant.id, account("17841400000000001", "lasting"))
            .await
            .unwrap();
        let soon = backend
            .clock
            .now()
            .checked_add(SignedDuration::from_hours(48))
            .unwrap();
        store
            .upsert_instagram_integration(
                tenant.id,
                NewIntegration {
                    token_expires_at: Some(soon),
                    ..account("17841400000000002", "expiring")
                },
            )
            .await
            .unwrap();

        let mut out = Vec::new();
        list(store, TenantScope::AllTenants, None, &mut out)
            .await
            .unwrap();
        let printed = output(out);
        let line_of = |name: &str| {
            printed
                .lines()
                .find(|line| line.contains(&format!("@{name} ")))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(line_of("expiring").contains("(SOON)"), "{printed}");
        assert!(!line_of("lasting").contains("(SOON)"), "{printed}");
        assert!(line_of("lasting").contains("never"), "{printed}");
        let section = printed
            .split("Tokens expiring within 7 days")
            .nth(1)
            .unwrap_or_default();
        assert!(section.contains("@expiring"), "{printed}");
        assert!(!section.contains("@lasting"), "{printed}");

        let mut out = Vec::new();
        list(store, TenantScope::Tenant(tenant.id), Some(1), &mut out)
            .await
            .unwrap();
        assert_eq!(output(out).trim(), "No integrations.");
    })
    .await;
}

#[tokio::test]
async fn integrations_verify_marks_a_revoked_token_and_reports_failure() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("cli_shop")).await;
        let body = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        let id: IntegrationId = body["integration"]["id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap();
        let connector = Connector::new(
            app.store.clone(),
            Arc::clone(&app.settings),
            igpub::startup::graph_client(&app.settings).unwrap(),
        );

        let mut out = Vec::new();
        let code = verify(
            &connector,
            &app.store,
            None,
            TenantScope::AllTenants,
            &mut out,
        )
        .await
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        assert!(output(out).contains("@cli_shop: verified"));

        let token = app
            .store
            .integration_token(app.tenant.id, id)
            .await
            .unwrap();
        app.sim
            .fail_token(token.expose_secret(), TokenFailure::Expired)
            .unwrap();
        let mut out = Vec::new();
        let code = verify(
            &connector,
            &app.store,
            Some(id),
            TenantScope::AllTenants,
            &mut out,
        )
        .await
        .unwrap();
        assert_eq!(code, ExitCode::FAILURE);
        let printed = output(out);
        assert!(printed.contains("needs reconnect"), "{printed}");
        assert!(printed.contains("190/463"), "{printed}");
        let stored = app.store.get_integration(app.tenant.id, id).await.unwrap();
        assert_eq!(stored.status.as_str(), "needs_reconnect");

        let mut out = Vec::new();
        disconnect(&app.store, id, &mut out).await.unwrap();
        assert!(output(out).contains("Disconnected"));
        let stored = app.store.get_integration(app.tenant.id, id).await.unwrap();
        assert_eq!(stored.status.as_str(), "disconnected");
        let mut out = Vec::new();
        let missing = disconnect(&app.store, IntegrationId::generate(), &mut out).await;
        assert!(missing.unwrap_err().to_string().contains("not found"));
    })
    .await;
}

#[tokio::test]
async fn serve_starts_and_stops_cleanly_and_a_bad_key_names_the_setting() {
    let directory = tempfile::tempdir().unwrap();
    let mut settings = igpub::config::Settings {
        database_url: format!("sqlite://{}", directory.path().join("igpub.db").display()),
        secret_keys: Some(KeyRing::generate_key()),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    settings.media.data_dir = directory.path().join("media");
    let options = igpub::background::BackgroundOptions { worker: false };
    igpub::cli::serve::serve(Arc::new(settings.clone()), options, async {})
        .await
        .unwrap();

    settings.secret_keys = Some(SecretString::from("not base64!"));
    let error = igpub::cli::serve::serve(Arc::new(settings), options, async {})
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("IGPUB_SECRET_KEYS"),
        "{error:#}"
    );
}
