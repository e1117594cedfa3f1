//! A small robots.txt reader: does the file stop `facebookexternalhit` from fetching a path?
//!
//! It follows RFC 9309 where it matters here: groups of `User-agent` lines followed by
//! `Allow`/`Disallow` rules, the most specific group (the crawler's own name, else `*`), the
//! longest matching rule winning and `Allow` winning a tie, `*` and `$` in paths.

/// How many lines are read at most; a robots.txt larger than that is cut, not trusted less.
const MAX_LINES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allow,
    Disallow,
}

#[derive(Debug, Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<(Verdict, String)>,
}

/// Whether `robots_txt` disallows `user_agent_token` (e.g. `facebookexternalhit`) from
/// fetching `path` (the URL path plus query).
pub fn disallows(robots_txt: &str, user_agent_token: &str, path: &str) -> bool {
    let groups = parse_groups(robots_txt);
    let token = user_agent_token.to_ascii_lowercase();
    let named: Vec<&Group> = groups
        .iter()
        .filter(|g| {
            g.agents
                .iter()
                .any(|a| a != "*" && token.starts_with(a.as_str()))
        })
        .collect();
    let chosen: Vec<&Group> = if named.is_empty() {
        groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| a == "*"))
            .collect()
    } else {
        named
    };
    let best = chosen
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter(|(_, pattern)| !pattern.is_empty() && matches(pattern, path))
        // Longest pattern wins; on a tie Allow wins (it sorts after Disallow here).
        .max_by_key(|(verdict, pattern)| (pattern.len(), *verdict == Verdict::Allow));
    matches!(best, Some((Verdict::Disallow, _)))
}

fn parse_groups(text: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut in_agent_lines = false;
    for line in text.lines().take(MAX_LINES) {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        match key.as_str() {
            "user-agent" => {
                if !in_agent_lines {
                    groups.push(Group::default());
                }
                in_agent_lines = true;
                if let Some(group) = groups.last_mut() {
                    group.agents.push(value.to_ascii_lowercase());
                }
            }
            "allow" | "disallow" => {
                in_agent_lines = false;
                let verdict = if key == "allow" {
                    Verdict::Allow
                } else {
                    Verdict::Disallow
                };
                if let Some(group) = groups.last_mut() {
                    group.rules.push((verdict, value.to_owned()));
                }
            }
            _ => {}
        }
    }
    groups
}

/// Matches a robots.txt path pattern: a prefix match, `*` for any run of characters, `$` at
/// the end to anchor. Iterative, so a hostile pattern cannot blow the stack.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    // Classic wildcard matching with one backtrack point.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi == p.len() {
            if !anchored || si == s.len() {
                return true;
            }
        } else if p.get(pi) == Some(&'*') {
            star = Some((pi, si));
            pi += 1;
            continue;
        } else if si < s.len() && p.get(pi) == s.get(si) {
            pi += 1;
            si += 1;
            continue;
        }
        match star {
            Some((star_pi, star_si)) if star_si < s.len() => {
                star = Some((star_pi, star_si + 1));
                pi = star_pi + 1;
                si = star_si + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::disallows;

    const UA: &str = "facebookexternalhit";

    #[test]
    fn a_wildcard_group_applies_when_the_crawler_is_not_named() {
        let robots = "User-agent: *\nDisallow: /private/\n";
        assert!(disallows(robots, UA, "/private/a.jpg"));
        assert!(!disallows(robots, UA, "/public/a.jpg"));
    }

    #[test]
    fn a_group_naming_the_crawler_overrides_the_wildcard_group() {
        let robots = "User-agent: *\nDisallow: /\n\nUser-agent: facebookexternalhit\nAllow: /\n";
        assert!(!disallows(robots, UA, "/a.jpg"));
        let robots = "User-agent: *\nAllow: /\n\nUser-agent: Googlebot\nUser-agent: FacebookExternalHit\nDisallow: /media\n";
        assert!(disallows(robots, UA, "/media/a.jpg"));
    }

    #[test]
    fn the_longest_rule_wins_and_allow_wins_a_tie() {
        let robots = "User-agent: *\nDisallow: /media\nAllow: /media/public\n";
        assert!(!disallows(robots, UA, "/media/public/a.jpg"));
        assert!(disallows(robots, UA, "/media/secret/a.jpg"));
        let robots = "User-agent: *\nDisallow: /a\nAllow: /a\n";
        assert!(!disallows(robots, UA, "/a"));
    }

    #[test]
    fn wildcards_and_end_anchors_match_like_crawlers_do() {
        let robots = "User-agent: *\nDisallow: /*.jpg$\n";
        assert!(disallows(robots, UA, "/x/y/a.jpg"));
        assert!(!disallows(robots, UA, "/x/y/a.jpg?size=2"));
    }

    #[test]
    fn an_empty_disallow_allows_everything() {
        assert!(!disallows("User-agent: *\nDisallow:\n", UA, "/a.jpg"));
        assert!(!disallows("", UA, "/a.jpg"));
        assert!(!disallows("garbage\n\u{0}\u{1}", UA, "/a.jpg"));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_robots_txt_and_path_are_judged_without_panicking(text in ".{0,400}", path in "/.{0,60}") {
            let _ = super::disallows(&text, "facebookexternalhit", &path);
        }

        #[test]
        fn a_disallowed_prefix_blocks_every_path_under_it(prefix in "/[a-z]{1,8}", rest in "[a-z/]{0,20}") {
            let robots = format!("User-agent: *\nDisallow: {prefix}\n");
            let path = format!("{prefix}{rest}");
            prop_assert!(super::disallows(&robots, "facebookexternalhit", &path));
        }
    }
}
