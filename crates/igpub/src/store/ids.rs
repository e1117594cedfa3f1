//! Identifiers of stored records: UUID v7 newtypes, so ids of different kinds cannot be mixed up.
//!
//! v7 ids sort by creation time, which keeps B-tree inserts local and listings stable. They are
//! stored as TEXT in both databases so the SQL text is shared between SQLite and PostgreSQL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A text that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be a UUID such as 0190f2a0-7b1c-7d3e-8f00-0123456789ab")]
pub struct IdParseError {
    /// Which kind of id was expected, e.g. "tenant id".
    pub kind: &'static str,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (v7) id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses an id read back from the database; a bad value means a corrupt row.
            #[allow(dead_code, reason = "the macro serves ids that are never read back too")]
            pub(crate) fn from_column(
                table: &'static str,
                column: &'static str,
                text: &str,
            ) -> Result<Self, $crate::store::StoreError> {
                text.parse().map_err(|_| $crate::store::StoreError::Corrupt {
                    table,
                    column,
                    problem: concat!("not a ", $kind).to_owned(),
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(text.trim())
                    .map(Self)
                    .map_err(|_| IdParseError { kind: $kind })
            }
        }
    };
}

uuid_id!(
    /// A tenant: one customer of igpub, who connects their clients' Instagram accounts.
    TenantId,
    "tenant id"
);
uuid_id!(
    /// One connected account (for now an Instagram Business/Creator account).
    IntegrationId,
    "integration id"
);
uuid_id!(
    /// One API key of a tenant (not the key itself, which is never stored).
    ApiKeyId,
    "API key id"
);
uuid_id!(
    /// One outbound webhook endpoint a tenant registered.
    WebhookId,
    "webhook id"
);
uuid_id!(
    /// One delivery of an outbound webhook event to one endpoint.
    DeliveryId,
    "delivery id"
);
uuid_id!(
    /// One file a tenant uploaded to the built-in media hosting.
    MediaUploadId,
    "media id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_through_its_text_form() {
        let id = TenantId::generate();
        assert_eq!(id.to_string().parse::<TenantId>(), Ok(id));
    }

    #[test]
    fn a_malformed_id_names_its_kind() {
        let error = "not-a-uuid".parse::<IntegrationId>().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("integration id must be a UUID")
        );
    }

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = ApiKeyId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<ApiKeyId>(&json).unwrap(), id);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let first = IntegrationId::generate();
        let second = IntegrationId::generate();
        assert!(first < second);
    }
}
