//! Connecting the demo's Instagram accounts through the real Facebook Login flow, against the
//! simulator: igpub builds the dialog URL, the demo presses "Allow" on the simulator's consent
//! page (as a person would), and the callback and the account choice run exactly as they do
//! for a customer.
//!
//! It runs on every start: the simulator is new each run and knows none of the old tokens,
//! and a reconnect updates each integration in place, so ids and posts carry over.

use igpub_graph::IgUserId;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use secrecy::SecretString;
use url::Url;

use super::DemoError;
use crate::connect::{CallbackOutcome, CallbackParams, Connector};
use crate::store::{Integration, TenantId};

/// Connects every Instagram account the simulator's demo user manages.
pub async fn connect_all(
    connector: &Connector,
    tenant: TenantId,
) -> Result<Vec<Integration>, DemoError> {
    let start = connector.start(tenant, None).await?;
    let callback = press_allow(&start.authorize_url).await?;
    let result = connector.callback(callback_params(&callback)).await;
    match result.outcome? {
        CallbackOutcome::Connected(integration) => Ok(vec![*integration]),
        CallbackOutcome::ChooseAccount(pending) => {
            let mut connected = Vec::with_capacity(pending.choices.len());
            for choice in &pending.choices {
                let ig_user = IgUserId::new(&choice.ig_user_id);
                connected.push(
                    connector
                        .choose(tenant, pending.session_id, &ig_user)
                        .await?,
                );
            }
            Ok(connected)
        }
    }
}

/// Submits the consent form with "Allow" and returns where the dialog redirects: igpub's
/// callback URL with `code` and `state`.
async fn press_allow(authorize_url: &Url) -> Result<Url, DemoError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| DemoError::Login(format!("cannot build an HTTP client: {error}")))?;
    // The dialog reads the query and the form together (graph-api.md §5.1's consent page
    // posts its hidden fields back to the same URL).
    let response = client
        .post(authorize_url.clone())
        .form(&[("decision", "allow")])
        .send()
        .await
        .map_err(|error| DemoError::Login(format!("the login dialog did not answer: {error}")))?;
    if response.status() != StatusCode::FOUND {
        return Err(DemoError::Login(format!(
            "the login dialog answered {} instead of redirecting",
            response.status()
        )));
    }
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| DemoError::Login("the login dialog redirected nowhere".to_owned()))?;
    Url::parse(location)
        .map_err(|error| DemoError::Login(format!("the login dialog's redirect: {error}")))
}

fn callback_params(callback: &Url) -> CallbackParams {
    let mut params = CallbackParams::default();
    for (name, value) in callback.query_pairs() {
        match name.as_ref() {
            "state" => params.state = Some(SecretString::from(value.into_owned())),
            "code" => params.code = Some(SecretString::from(value.into_owned())),
            "error" => params.error = Some(value.into_owned()),
            "error_reason" => params.error_reason = Some(value.into_owned()),
            "error_description" => params.error_description = Some(value.into_owned()),
            _ => {}
        }
    }
    params
}
