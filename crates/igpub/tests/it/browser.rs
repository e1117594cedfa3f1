//! The dashboard in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs) driven over WebDriver.
//!
//! One flow, as a marketer meets the product: sign in; connect an account through the
//! simulator's consent page and the account picker; compose a three-image carousel (uploaded
//! to the built-in media store, with alt text, reordered with the keyboard buttons) and
//! schedule it; watch it reach published with its permalink; open the insights and see the
//! charts. Every page is kept as a PNG under `target/browser-screenshots/`, at desktop size
//! and at 375 px, and no page may scroll sideways on the phone.

#[path = "browser_support.rs"]
mod support;

use std::path::Path;

use secrecy::ExposeSecret;
use support::{Browser, CHROMEDRIVER, Outcome, Product, jpeg, screenshot_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_connects_composes_a_carousel_sees_it_published_and_reads_insights() {
    if !Path::new(CHROMEDRIVER).exists() {
        eprintln!(
            "\n*** SKIPPED browser test: {CHROMEDRIVER} is missing. Install Debian's chromium and \
             chromium-driver (.ci/run does) to run it. ***\n"
        );
        return;
    }
    let product = match Product::start().await {
        Ok(product) => product,
        Err(error) => panic!("the product did not start: {error}"),
    };
    let browser = match Browser::open(1280, 900).await {
        Ok(browser) => browser,
        Err(error) => {
            product.stop().await;
            panic!("the browser did not start: {error}");
        }
    };
    let outcome = flow(&product, &browser).await;
    if outcome.is_err() {
        let _ = browser.screenshot("zz-failure").await;
    }
    browser.close().await;
    product.stop().await;
    if let Err(error) = outcome {
        panic!("{error}");
    }
    eprintln!("screenshots: {}", screenshot_dir().display());
}

async fn flow(product: &Product, browser: &Browser) -> Outcome<()> {
    sign_in(product, browser).await?;
    let integration = connect_account(product, browser).await?;
    let post_page = compose_carousel(product, browser, &integration).await?;
    watch_it_publish(browser, &post_page).await?;
    look_at_the_queue(product, browser).await?;
    read_insights(product, browser).await?;
    fits_a_phone(product, browser, &integration, &post_page).await
}

async fn sign_in(product: &Product, browser: &Browser) -> Outcome<()> {
    browser.goto(&product.url("/app/sign-in")).await?;
    browser.wait_for("#api_key").await?;
    browser.screenshot("01-sign-in").await?;
    browser
        .type_into("#api_key", product.api_key.expose_secret())
        .await?;
    browser.click("#sign-in").await?;
    browser.wait_for("#connect").await?;
    browser.screenshot("02-accounts-empty").await?;
    Ok(())
}

/// Connects through Facebook Login (the simulator's consent page) and the picker; returns the
/// integration id.
async fn connect_account(product: &Product, browser: &Browser) -> Outcome<String> {
    browser.click("#connect").await?;
    browser.wait_for("#allow").await?;
    let consent = browser.url().await?;
    if !consent
        .as_str()
        .starts_with(product.sim.base_url().as_str())
    {
        return Err(format!(
            "Connect should open the login dialog, not {consent}"
        ));
    }
    browser.screenshot("03-facebook-consent").await?;
    browser.click("#allow").await?;
    // The simulator's user owns several Pages with Instagram accounts: the picker asks which.
    let choices = browser.wait_for_count("#choices .choice", 2).await?;
    browser.screenshot("04-account-picker").await?;
    let first = choices.first().ok_or("the picker lists accounts")?;
    first
        .find(fantoccini::Locator::Css("button"))
        .await
        .map_err(|e| format!("the first choice's button: {e}"))?
        .click()
        .await
        .map_err(|e| format!("choosing the first account: {e}"))?;
    let card = browser.wait_for(".account").await?;
    // The quota bar arrives from Meta after the page.
    browser.wait_for(".account .quota progress").await?;
    browser.wait_for(".alert--success").await?;
    browser.screenshot("05-accounts").await?;
    let id = card
        .attr("id")
        .await
        .map_err(|e| format!("the card's id: {e}"))?
        .and_then(|id| id.strip_prefix("account-").map(str::to_owned))
        .ok_or("the account card names its integration")?;
    let connected = product
        .store
        .list_integrations(igpub::store::TenantScope::Tenant(product.tenant.id))
        .await
        .map_err(|e| format!("listing integrations: {e}"))?;
    if !connected.iter().any(|i| i.id.to_string() == id) {
        return Err(format!("the card's account {id} is not stored"));
    }
    Ok(id)
}

/// Composes and schedules a three-image carousel; returns the post page's path.
async fn compose_carousel(
    product: &Product,
    browser: &Browser,
    integration: &str,
) -> Outcome<String> {
    browser
        .goto(&product.url(&format!("/app/compose?integration={integration}")))
        .await?;
    browser.click("#kind-carousel").await?;
    browser
        .type_into("#caption", "Autumn collection, shot by @studio.b #autumn")
        .await?;
    browser.type_into("#hashtags", "fashion, style").await?;
    // Counted by the server as typed: #autumn, #fashion, #style.
    wait_for_text(browser, "#count-hashtags", "3 / 30 hashtags").await?;
    wait_for_text(browser, "#count-mentions", "1 / 20 mentions").await?;

    // Start from an empty list, then upload three photos to the built-in media store.
    browser.click(".media-item [data-remove-item]").await?;
    let files = tempfile::tempdir().map_err(|e| format!("a directory for photos: {e}"))?;
    let mut paths = Vec::new();
    for (name, tint) in [
        ("coat", [200, 70, 60]),
        ("scarf", [60, 140, 90]),
        ("boots", [70, 90, 190]),
    ] {
        let path = files.path().join(format!("{name}.jpg"));
        std::fs::write(&path, jpeg(640, 800, tint)?).map_err(|e| format!("{e}"))?;
        paths.push(path.display().to_string());
    }
    browser.type_into("#upload-file", &paths.join("\n")).await?;
    let rows = browser
        .wait_for_count(".media-item img.media-item__preview[src]", 3)
        .await?;
    if rows.len() != 3 {
        return Err(format!("three uploads make three rows, not {}", rows.len()));
    }
    let alts = browser.wait_for_count("input[name=media_alt]", 3).await?;
    for (index, alt) in alts.iter().enumerate() {
        alt.send_keys(&format!("Look {} of the autumn collection", index + 1))
            .await
            .map_err(|e| format!("alt text {index}: {e}"))?;
    }
    // The keyboard way to reorder: item 1 moves down one place.
    let before = media_urls(browser).await?;
    browser
        .click(".media-item:first-child [data-move=down]")
        .await?;
    let after = media_urls(browser).await?;
    if after.first() != before.get(1) || after.get(1) != before.first() {
        return Err(format!(
            "moving item 1 down should swap it with item 2: {before:?} → {after:?}"
        ));
    }

    // Scheduled a few seconds ahead, in UTC, so the worker picks it up while we watch.
    browser.click("#when-schedule").await?;
    let soon = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(8))
        .map_err(|e| format!("{e}"))?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    browser
        .wait_for("#time_zone")
        .await?
        .select_by_value("UTC")
        .await
        .map_err(|e| format!("choosing UTC: {e}"))?;
    browser
        .run(&format!(
            "const input = document.getElementById('publish_local'); input.value = '{soon}'; \
             input.dispatchEvent(new Event('change', {{bubbles: true}})); return input.value;"
        ))
        .await?;
    // Every item passes the pre-flight (with the private-host warning), and no rule is broken.
    browser
        .wait_for_count("#preflight-items li[data-ok=true]", 3)
        .await?;
    browser.wait_for("#problems-none").await?;
    browser.wait_for("#private-hosts-warning").await?;
    browser.screenshot("06-composer").await?;
    browser.click("#submit-post").await?;
    browser.wait_for("#post-state").await?;
    let page = browser.url().await?;
    if !page.path().starts_with("/app/posts/") {
        return Err(format!(
            "creating the post should open its page, not {page}"
        ));
    }
    browser.screenshot("07-post-scheduled").await?;
    Ok(page.path().to_owned())
}

async fn media_urls(browser: &Browser) -> Outcome<Vec<String>> {
    let value = browser
        .run("return Array.from(document.querySelectorAll('input[name=media_url]')).map(i => i.value);")
        .await?;
    Ok(value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// The post page follows the worker by itself until the post is live with its permalink.
async fn watch_it_publish(browser: &Browser, post_page: &str) -> Outcome<()> {
    browser.wait_for("#post-state.chip--published").await?;
    let permalink = browser.wait_for("#permalink").await?;
    let href = permalink
        .attr("href")
        .await
        .map_err(|e| format!("the permalink: {e}"))?
        .unwrap_or_default();
    if !href.starts_with("https://") {
        return Err(format!(
            "the permalink of {post_page} should be a URL: {href:?}"
        ));
    }
    let events = browser.wait_for_count("#timeline li", 4).await?;
    if events.len() < 4 {
        return Err("the timeline shows the post's way to published".to_owned());
    }
    browser.screenshot("08-post-published").await?;
    Ok(())
}

async fn look_at_the_queue(product: &Product, browser: &Browser) -> Outcome<()> {
    browser.goto(&product.url("/app/queue")).await?;
    browser.wait_for("#week .chip--published").await?;
    browser.screenshot("09-queue-week").await?;
    browser.goto(&product.url("/app/queue?view=list")).await?;
    browser.wait_for("#post-list .chip--published").await?;
    browser.screenshot("10-queue-list").await?;
    Ok(())
}

async fn read_insights(product: &Product, browser: &Browser) -> Outcome<()> {
    browser.goto(&product.url("/app/insights")).await?;
    browser.click("#refresh-insights").await?;
    browser.wait_for(".alert--info").await?;
    browser
        .wait_for_count("#charts svg path.line-chart__line", 3)
        .await?;
    browser.screenshot("11-insights").await?;
    Ok(())
}

async fn fits_a_phone(
    product: &Product,
    browser: &Browser,
    integration: &str,
    post_page: &str,
) -> Outcome<()> {
    browser.resize(375, 812).await?;
    let pages = [
        ("phone-accounts", "/app/accounts".to_owned(), ".account"),
        (
            "phone-composer",
            format!("/app/compose?integration={integration}"),
            "#caption",
        ),
        ("phone-queue", "/app/queue".to_owned(), "#week"),
        ("phone-post", post_page.to_owned(), "#timeline"),
        ("phone-insights", "/app/insights".to_owned(), "#charts svg"),
    ];
    for (name, path, ready) in pages {
        browser.goto(&product.url(&path)).await?;
        browser.wait_for(ready).await?;
        browser.screenshot(name).await?;
        let sticking_out = browser.sideways_overflow().await?;
        if !sticking_out.is_empty() {
            return Err(format!(
                "{path} scrolls sideways at 375 px: {sticking_out:?}"
            ));
        }
    }
    Ok(())
}

async fn wait_for_text(browser: &Browser, css: &str, needle: &str) -> Outcome<()> {
    let deadline = tokio::time::Instant::now() + support::PAGE_TIMEOUT;
    loop {
        let text = match browser.client.find(fantoccini::Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("{css} should read {needle:?}, reads {text:?}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
