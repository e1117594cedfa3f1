//! Permissions (scopes) as a small bit set, so every token carries them for free.

/// Every permission the simulator knows, in the order the consent page lists them.
pub const KNOWN_SCOPES: [&str; 13] = [
    "public_profile",
    "email",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_metadata",
    "business_management",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_insights",
    "instagram_manage_comments",
    "instagram_manage_contents",
    "ads_management",
    "ads_read",
];

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u32);

impl Scopes {
    /// No permission.
    pub const NONE: Scopes = Scopes(0);

    /// Every known permission.
    pub fn all() -> Self {
        Self((1u32 << KNOWN_SCOPES.len()) - 1)
    }

    /// The bit of one known permission name.
    pub fn of(name: &str) -> Option<Self> {
        KNOWN_SCOPES
            .iter()
            .position(|known| *known == name)
            .map(|at| Self(1 << at))
    }

    /// Parses a comma- (or space-) separated list; unknown names come back as the error.
    pub fn parse_list(list: &str) -> Result<Self, String> {
        let mut scopes = Self::NONE;
        for name in list
            .split([',', ' '])
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            scopes = scopes.union(Self::of(name).ok_or_else(|| name.to_owned())?);
        }
        Ok(scopes)
    }

    /// Both sets together.
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// What both sets share.
    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// What this set has and the other lacks.
    pub fn minus(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether the set holds this permission.
    pub fn has(self, name: &str) -> bool {
        Self::of(name).is_some_and(|bit| self.0 & bit.0 != 0)
    }

    /// The names, in [`KNOWN_SCOPES`] order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        KNOWN_SCOPES
            .iter()
            .enumerate()
            .filter(move |(at, _)| self.0 & (1 << at) != 0)
            .map(|(_, name)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_parses_into_its_names() {
        let scopes = Scopes::parse_list("instagram_basic, pages_show_list").unwrap_or_default();
        assert!(scopes.has("instagram_basic") && scopes.has("pages_show_list"));
        assert!(!scopes.has("instagram_content_publish"));
        assert_eq!(scopes.names().count(), 2);
    }

    #[test]
    fn an_unknown_scope_is_named_in_the_error() {
        assert_eq!(
            Scopes::parse_list("instagram_basic,nope"),
            Err("nope".to_owned())
        );
    }
}
