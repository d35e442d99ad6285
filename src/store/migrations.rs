//! Versioned schema migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Each entry moves the schema from version `index` to `index + 1`. Entries
/// are never edited once released; a change is a new entry.
const MIGRATIONS: &[&str] = &[
    // 1: the SSO core.
    r#"
    CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
        given_name    TEXT,
        family_name   TEXT,
        password_hash TEXT,
        is_admin      INTEGER NOT NULL DEFAULT 0,
        is_active     INTEGER NOT NULL DEFAULT 1,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE TABLE keypairs (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        key_file   TEXT NOT NULL,
        cert_file  TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE applications (
        id                  INTEGER PRIMARY KEY,
        slug                TEXT NOT NULL UNIQUE,
        name                TEXT NOT NULL,
        enabled             INTEGER NOT NULL DEFAULT 1,
        launch_url          TEXT,
        acs_url             TEXT NOT NULL,
        audience            TEXT,
        issuer              TEXT NOT NULL,
        sls_url             TEXT,
        sls_binding         TEXT NOT NULL DEFAULT 'redirect',
        sign_assertion      INTEGER NOT NULL DEFAULT 1,
        sign_response       INTEGER NOT NULL DEFAULT 0,
        sp_cert_pem         TEXT,
        keypair_id          INTEGER NOT NULL REFERENCES keypairs(id),
        name_id_format      TEXT NOT NULL,
        default_relay_state TEXT,
        not_before_skew_seconds    INTEGER NOT NULL DEFAULT 300,
        assertion_lifetime_seconds INTEGER NOT NULL DEFAULT 300,
        session_lifetime_seconds   INTEGER NOT NULL DEFAULT 28800,
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id_hash       BLOB PRIMARY KEY,
        user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        authn_instant INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        client_addr   TEXT
    );
    CREATE INDEX sessions_expiry ON sessions(expires_at);
    CREATE TABLE saml_sessions (
        id             INTEGER PRIMARY KEY,
        session_hash   BLOB NOT NULL,
        app_id         INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name_id        TEXT NOT NULL,
        name_id_format TEXT NOT NULL,
        session_index  TEXT NOT NULL UNIQUE,
        issued_at      INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL
    );
    CREATE INDEX saml_sessions_session ON saml_sessions(session_hash);
    CREATE INDEX saml_sessions_expiry ON saml_sessions(expires_at);
    CREATE TABLE login_flows (
        id_hash      BLOB PRIMARY KEY,
        browser_hash BLOB NOT NULL,
        csrf         TEXT NOT NULL,
        app_id       INTEGER REFERENCES applications(id) ON DELETE CASCADE,
        request_json TEXT,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
    );
    CREATE INDEX login_flows_expiry ON login_flows(expires_at);
    CREATE TABLE handoffs (
        id_hash      BLOB PRIMARY KEY,
        request_json TEXT NOT NULL,
        expires_at   INTEGER NOT NULL
    );
    CREATE TABLE logout_flows (
        id                   INTEGER PRIMARY KEY,
        initiator_app_id     INTEGER,
        initiator_request_id TEXT,
        relay_state          TEXT,
        pending_json         TEXT NOT NULL,
        outstanding_id       TEXT UNIQUE,
        outstanding_app_id   INTEGER,
        partial              INTEGER NOT NULL DEFAULT 0,
        expires_at           INTEGER NOT NULL
    );
    CREATE INDEX logout_flows_expiry ON logout_flows(expires_at);
    CREATE TABLE login_failures (
        username    TEXT NOT NULL,
        client_addr TEXT NOT NULL,
        at          INTEGER NOT NULL
    );
    CREATE INDEX login_failures_key ON login_failures(username, client_addr, at);
    CREATE TABLE seen_requests (
        issuer     TEXT NOT NULL,
        request_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, request_id)
    );
    CREATE INDEX seen_requests_expiry ON seen_requests(expires_at);
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        username    TEXT,
        app_slug    TEXT,
        client_addr TEXT,
        detail      TEXT
    );
    CREATE INDEX events_at ON events(at);
    "#,
    // 2: more than one ACS URL per application. `acs_url` stays the default;
    // these are the others a request may name, a JSON array of strings.
    r#"
    ALTER TABLE applications ADD COLUMN additional_acs_urls TEXT NOT NULL DEFAULT '[]';
    "#,
];

pub(super) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let tx = conn.transaction()?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_version_1_database_migrates_with_no_additional_acs_urls() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.execute_batch("PRAGMA user_version = 1").unwrap();
        tx.execute(
            "INSERT INTO keypairs (name, key_file, cert_file, created_at)
             VALUES ('k', 'k', 'c', 0)",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO applications (slug, name, acs_url, issuer, keypair_id, name_id_format,
                 created_at, updated_at)
             VALUES ('old', 'Old', 'https://sp.example/acs', 'authentik', 1, 'x', 0, 0)",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
        run(&mut conn).unwrap();
        let (acs, additional): (String, String) = conn
            .query_row(
                "SELECT acs_url, additional_acs_urls FROM applications WHERE slug = 'old'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(acs, "https://sp.example/acs");
        assert_eq!(additional, "[]");
    }

    #[test]
    fn refuses_a_schema_from_a_newer_signet() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(
            run(&mut conn),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
