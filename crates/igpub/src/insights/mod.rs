//! Insights: the version-aware metric registry, pulls, reports and Meta's webhooks.
