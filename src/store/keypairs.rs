//! The `keypairs` table: names and file locations of signing keypairs.
//!
//! Private keys never enter the database; rows point at PEM files that
//! `crate::keys` loads and checks.

use rusqlite::{params, OptionalExtension, Row};

use super::{unique_violation, unix_now, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keypair {
    pub id: i64,
    pub name: String,
    /// Path of the private key PEM, relative to `data_dir` unless absolute.
    pub key_file: String,
    /// Path of the certificate PEM, relative to `data_dir` unless absolute.
    pub cert_file: String,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Keypair> {
    Ok(Keypair {
        id: r.get(0)?,
        name: r.get(1)?,
        key_file: r.get(2)?,
        cert_file: r.get(3)?,
    })
}

impl Store {
    pub fn add_keypair(
        &self,
        name: &str,
        key_file: &str,
        cert_file: &str,
    ) -> Result<Keypair, StoreError> {
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO keypairs (name, key_file, cert_file, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![name, key_file, cert_file, unix_now()],
            )
            .map_err(|e| unique_violation(e, "keypair", name))?;
            Ok(Keypair {
                id: conn.last_insert_rowid(),
                name: name.to_owned(),
                key_file: key_file.to_owned(),
                cert_file: cert_file.to_owned(),
            })
        })
    }

    pub fn keypair(&self, id: i64) -> Result<Option<Keypair>, StoreError> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    "SELECT id, name, key_file, cert_file FROM keypairs WHERE id = ?1",
                    [id],
                    from_row,
                )
                .optional()?)
        })
    }

    pub fn list_keypairs(&self) -> Result<Vec<Keypair>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, name, key_file, cert_file FROM keypairs ORDER BY id")?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
