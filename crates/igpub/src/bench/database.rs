//! A fresh database for each run, so one run's posts never queue behind another's.

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::BenchError;
use crate::store::Backend;

/// The database a run uses, and what to remove afterwards.
#[derive(Debug)]
pub struct BenchDatabase {
    /// The URL the store and the workers open.
    pub url: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    /// A SQLite file the caller named: left alone.
    Given,
    /// A SQLite file in a directory of our own.
    TempDirectory(std::path::PathBuf),
    /// A schema of our own on the caller's PostgreSQL database.
    PostgresSchema { admin_url: String, schema: String },
}

impl BenchDatabase {
    /// SQLite in a temporary directory when `url` is `None`; a new schema on PostgreSQL;
    /// a SQLite URL as given (the run's posts are told apart by tenant).
    pub async fn prepare(url: Option<&str>) -> Result<Self, BenchError> {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let Some(url) = url else {
            let directory = std::env::temp_dir().join(format!("igpub-bench-{unique}"));
            std::fs::create_dir_all(&directory)
                .map_err(|error| BenchError::Database(error.to_string()))?;
            return Ok(Self {
                url: format!("sqlite://{}", directory.join("bench.db").display()),
                place: Place::TempDirectory(directory),
            });
        };
        match Backend::of_url(url).map_err(|error| BenchError::Database(error.to_string()))? {
            Backend::Sqlite => Ok(Self {
                url: url.to_owned(),
                place: Place::Given,
            }),
            Backend::Postgres => {
                let schema = format!("igpub_bench_{unique}");
                let mut admin = PgConnection::connect(url)
                    .await
                    .map_err(|error| BenchError::Database(error.to_string()))?;
                // The name is hex digits from a UUID: nothing to quote.
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut admin)
                    .await
                    .map_err(|error| BenchError::Database(error.to_string()))?;
                let _ = admin.close().await;
                let mut with_schema = url::Url::parse(url)
                    .map_err(|error| BenchError::Database(format!("database_url: {error}")))?;
                with_schema
                    .query_pairs_mut()
                    .append_pair("options[search_path]", &schema);
                Ok(Self {
                    url: with_schema.to_string(),
                    place: Place::PostgresSchema {
                        admin_url: url.to_owned(),
                        schema,
                    },
                })
            }
        }
    }

    /// Removes what [`BenchDatabase::prepare`] made.
    pub async fn remove(self) {
        match self.place {
            Place::Given => {}
            Place::TempDirectory(directory) => {
                let _ = tokio::fs::remove_dir_all(directory).await;
            }
            Place::PostgresSchema { admin_url, schema } => {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut admin).await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}
