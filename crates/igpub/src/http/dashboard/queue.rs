//! The queue: a week calendar and a list of posts, each with its state's coloured chip, filtered
//! by account and by state. Filters are a plain GET form, so every view has a link.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use jiff::civil::Date;
use serde::Deserialize;

use super::calendar::{Week, day_of, is_weekend};
use super::error::PageError;
use super::layout::{Chrome, page};
use super::local_time::{Zone, machine};
use super::paths;
use super::session::Signed;
use super::states::{Chip, chip};
use crate::http::state::AppState;
use crate::publish::Posts;
use crate::publish::service::{ListQuery, PostView};
use crate::store::{IntegrationId, PostState, TenantScope};

/// The routes of the queue.
pub fn routes() -> Router<AppState> {
    Router::new().route(paths::QUEUE, get(queue_page))
}

/// Most posts the week view gathers (pages of 200).
const MAX_WEEK_POSTS: usize = 1000;
/// Posts per page of the list.
const LIST_PAGE: u32 = 50;
/// Characters of caption shown in a chip.
const EXCERPT_CHARS: usize = 60;

/// The query of the queue page.
#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    view: Option<String>,
    week: Option<String>,
    integration: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
}

/// One post in the calendar or the list.
#[derive(Debug, Clone)]
pub struct PostLine {
    /// Its page.
    pub href: String,
    /// Local time of day (calendar) or date and time (list).
    pub when: String,
    /// For `<time datetime>`.
    pub when_machine: String,
    /// `@username`.
    pub account: String,
    /// Its kind.
    pub kind: &'static str,
    /// Its state.
    pub chip: Chip,
    /// The caption's start.
    pub excerpt: String,
}

/// One day column of the week.
#[derive(Debug, Clone)]
pub struct DayColumn {
    /// `Mon 30 Nov`.
    pub title: String,
    /// Today, on the viewer's clock.
    pub today: bool,
    /// Saturday or Sunday.
    pub weekend: bool,
    /// Its posts, by time.
    pub posts: Vec<PostLine>,
}

/// An option of a filter.
#[derive(Debug, Clone)]
pub struct FilterOption {
    /// Its value.
    pub value: String,
    /// Its label.
    pub label: String,
    /// Chosen now.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/queue.html")]
struct QueuePage {
    chrome: Chrome,
    list_view: bool,
    week_title: String,
    days: Vec<DayColumn>,
    lines: Vec<PostLine>,
    accounts: Vec<FilterOption>,
    states: Vec<FilterOption>,
    week_param: String,
    week_view: String,
    list_view_link: String,
    previous_week: String,
    next_week: String,
    this_week: String,
    next_page: Option<String>,
    zone: String,
}

async fn queue_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    let zone = Zone::of_viewer(&headers);
    let now = state.store.now();
    let today = day_of(now, &zone.tz);
    let chosen_day = query
        .week
        .as_deref()
        .and_then(|text| text.parse::<Date>().ok())
        .unwrap_or(today);
    let week = Week::containing(chosen_day, &zone.tz)
        .ok_or_else(|| PageError::BadRequest("week: that date has no week".to_owned()))?;
    let integration: Option<IntegrationId> = query
        .integration
        .as_deref()
        .filter(|text| !text.is_empty())
        .and_then(|text| text.parse().ok());
    let post_state: Option<PostState> = query
        .state
        .as_deref()
        .filter(|text| !text.is_empty())
        .and_then(|text| text.parse().ok());
    let list_view = query.view.as_deref() == Some("list");

    let integrations = state
        .store
        .list_integrations(TenantScope::Tenant(signed.tenant()))
        .await?;
    let usernames: HashMap<IntegrationId, String> = integrations
        .iter()
        .map(|i| (i.id, i.metadata.ig_username.clone()))
        .collect();
    let posts = Posts::new(state.store.clone());
    let base = ListQuery {
        state: post_state,
        integration_id: integration,
        from: Some(week.starts),
        ..ListQuery::default()
    };
    let (days, lines, next_page) = if list_view {
        let page = posts
            .list(
                signed.tenant(),
                ListQuery {
                    cursor: query.cursor.clone(),
                    limit: Some(LIST_PAGE),
                    ..base
                },
            )
            .await?;
        let lines = page
            .posts
            .iter()
            .map(|post| line(post, &usernames, zone.show(post.run_at)))
            .collect();
        (Vec::new(), lines, page.next_cursor)
    } else {
        let mut gathered: Vec<PostView> = Vec::new();
        let mut cursor = None;
        loop {
            let page = posts
                .list(
                    signed.tenant(),
                    ListQuery {
                        to: Some(week.ends),
                        cursor: cursor.take(),
                        limit: Some(200),
                        ..base.clone()
                    },
                )
                .await?;
            gathered.extend(page.posts);
            match page.next_cursor {
                Some(next) if gathered.len() < MAX_WEEK_POSTS => cursor = Some(next),
                _ => break,
            }
        }
        let days = week
            .days()
            .into_iter()
            .map(|day| DayColumn {
                title: day.strftime("%a %-d %b").to_string(),
                today: day == today,
                weekend: is_weekend(day),
                posts: gathered
                    .iter()
                    .filter(|post| day_of(post.run_at, &zone.tz) == day)
                    .map(|post| line(post, &usernames, zone.show_time(post.run_at)))
                    .collect(),
            })
            .collect();
        (days, Vec::new(), None)
    };

    let carried = filter_query(&query, list_view);
    let plain_filters = filter_query(&query, false);
    let week_view = format!("{}?week={}{plain_filters}", paths::QUEUE, week.monday);
    let list_view_link = format!(
        "{}?view=list&week={}{plain_filters}",
        paths::QUEUE,
        week.monday
    );
    let week_link = |day: Option<Date>| match day {
        Some(day) => format!("{}?week={day}{carried}", paths::QUEUE),
        None => format!("{}?{}", paths::QUEUE, carried.trim_start_matches('&')),
    };
    let last_day = week.days().last().copied().unwrap_or(week.monday);
    Ok(page(&QueuePage {
        chrome: Chrome::signed_in("Queue", "queue", &signed),
        list_view,
        week_title: format!(
            "{} – {}",
            week.monday.strftime("%-d %b"),
            last_day.strftime("%-d %b %Y")
        ),
        days,
        lines,
        accounts: integrations
            .iter()
            .map(|i| FilterOption {
                value: i.id.to_string(),
                label: format!("@{}", i.metadata.ig_username),
                selected: Some(i.id) == integration,
            })
            .collect(),
        states: PostState::ALL
            .into_iter()
            .map(|s| FilterOption {
                value: s.as_str().to_owned(),
                label: chip(s).label.to_owned(),
                selected: Some(s) == post_state,
            })
            .collect(),
        week_param: week.monday.to_string(),
        previous_week: week_link(week.previous_monday()),
        next_week: week_link(week.next_monday()),
        this_week: week_link(None),
        next_page: next_page.map(|cursor| {
            let mut url = url::form_urlencoded::Serializer::new(String::new());
            url.append_pair("view", "list")
                .append_pair("week", &week.monday.to_string())
                .append_pair("cursor", &cursor);
            if let Some(id) = integration {
                url.append_pair("integration", &id.to_string());
            }
            if let Some(s) = post_state {
                url.append_pair("state", s.as_str());
            }
            format!("{}?{}", paths::QUEUE, url.finish())
        }),
        week_view,
        list_view_link,
        zone: zone.name.clone(),
    }))
}

/// The filters and view as `&key=value…`, to carry across week links.
fn filter_query(query: &QueueQuery, list_view: bool) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if list_view {
        out.append_pair("view", "list");
    }
    for (name, value) in [("integration", &query.integration), ("state", &query.state)] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(name, value);
        }
    }
    let text = out.finish();
    if text.is_empty() {
        text
    } else {
        format!("&{text}")
    }
}

fn line(post: &PostView, usernames: &HashMap<IntegrationId, String>, when: String) -> PostLine {
    let caption = post.post.caption.clone().unwrap_or_default();
    let mut excerpt: String = caption.chars().take(EXCERPT_CHARS).collect();
    if caption.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    PostLine {
        href: paths::post(post.id),
        when,
        when_machine: machine(post.run_at),
        account: usernames
            .get(&post.integration_id)
            .cloned()
            .unwrap_or_else(|| "unknown account".to_owned()),
        kind: post.kind.as_str(),
        chip: chip(post.state),
        excerpt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_carry_across_week_links_without_empty_values() {
        let query = QueueQuery {
            integration: Some(String::new()),
            state: Some("failed".into()),
            ..QueueQuery::default()
        };
        assert_eq!(filter_query(&query, true), "&view=list&state=failed");
        assert_eq!(filter_query(&QueueQuery::default(), false), "");
    }
}
