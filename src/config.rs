//! Configuration: embedded defaults, then a TOML file, then `SIGNET_*` variables.
//!
//! Every key has a default, so `signet serve` runs with no file at all. An
//! unknown key or a value of the wrong shape stops the start with a message
//! that names the key; there is no silent fallback.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The variable that names the configuration file when `--config` is absent.
pub const CONFIG_ENV: &str = "SIGNET_CONFIG";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// The whole configuration. Field names are the TOML keys.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Socket address the HTTP server binds.
    pub listen: String,
    /// Base URL browsers and service providers see ("authentik.company" in the
    /// ChatGPT guide). Every URL signet publishes starts with it.
    pub external_url: String,
    /// Directory for the SQLite database and the generated keys.
    pub data_dir: PathBuf,
    /// `tracing` filter, e.g. `info` or `signet=debug,actix_web=info`.
    pub log: String,
    /// How long a signet login lasts, in seconds.
    pub session_lifetime_seconds: u64,
    /// Tolerated clock difference with service providers, in seconds.
    pub clock_skew_seconds: u64,
    /// Proxies whose `X-Forwarded-For` is believed. Empty: the peer address is used.
    pub trusted_proxies: Vec<IpAddr>,
    /// Accept RSA-SHA1 signatures on requests. Off: SHA-1 is broken for signatures.
    pub insecure_allow_sha1: bool,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How long audit events (sign-ins, sign-outs, admin changes) are kept.
    pub event_retention_days: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9000".into(),
            external_url: "http://localhost:9000".into(),
            data_dir: PathBuf::from("./data"),
            log: "info".into(),
            session_lifetime_seconds: 8 * 3600,
            clock_skew_seconds: 180,
            trusted_proxies: Vec::new(),
            insecure_allow_sha1: false,
            workers: 0,
            event_retention_days: 365,
        }
    }
}

/// Keys that environment variables may override, with the TOML type expected.
const ENV_KEYS: &[(&str, EnvType)] = &[
    ("listen", EnvType::Str),
    ("external_url", EnvType::Str),
    ("data_dir", EnvType::Str),
    ("log", EnvType::Str),
    ("session_lifetime_seconds", EnvType::Int),
    ("clock_skew_seconds", EnvType::Int),
    ("trusted_proxies", EnvType::List),
    ("insecure_allow_sha1", EnvType::Bool),
    ("workers", EnvType::Int),
    ("event_retention_days", EnvType::Int),
];

#[derive(Clone, Copy)]
enum EnvType {
    Str,
    Int,
    Bool,
    List,
}

impl Config {
    /// Loads the configuration: `path` (or `$SIGNET_CONFIG`) if given, then the
    /// process environment on top.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let from_env = std::env::var_os(CONFIG_ENV).map(PathBuf::from);
        let path = path.map(Path::to_path_buf).or(from_env);
        let text = match &path {
            Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                path: p.clone(),
                source,
            })?,
            None => String::new(),
        };
        Self::from_parts(&text, path.as_deref(), &env)
    }

    /// Builds a configuration from TOML text and `(name, value)` variables.
    pub fn from_parts(
        toml_text: &str,
        path: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let display_path = path.unwrap_or(Path::new("<defaults>")).to_path_buf();
        let mut table: toml::Table =
            toml_text
                .parse()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: display_path.clone(),
                    message: e.to_string(),
                })?;
        for (key, ty) in ENV_KEYS {
            let var = format!("SIGNET_{}", key.to_ascii_uppercase());
            if let Some((_, raw)) = env.iter().find(|(name, _)| *name == var) {
                let value = env_value(*ty, raw).map_err(|message| ConfigError::Env {
                    var: var.clone(),
                    message,
                })?;
                table.insert((*key).to_owned(), value);
            }
        }
        let config: Config =
            Config::deserialize(table).map_err(|e: toml::de::Error| ConfigError::Parse {
                path: display_path,
                message: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        let url = url::Url::parse(&self.external_url).map_err(|e| ConfigError::Invalid {
            key: "external_url",
            message: format!("{:?} is not an absolute URL: {e}", self.external_url),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConfigError::Invalid {
                key: "external_url",
                message: format!("{:?} must be an http or https URL", self.external_url),
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::Invalid {
                key: "external_url",
                message: "must not carry a query or fragment".into(),
            });
        }
        if self.session_lifetime_seconds < 60 {
            return Err(ConfigError::Invalid {
                key: "session_lifetime_seconds",
                message: "must be at least 60".into(),
            });
        }
        if self.clock_skew_seconds > 3600 {
            return Err(ConfigError::Invalid {
                key: "clock_skew_seconds",
                message: "must be at most 3600".into(),
            });
        }
        if !(1..=36_500).contains(&self.event_retention_days) {
            return Err(ConfigError::Invalid {
                key: "event_retention_days",
                message: "must be 1 to 36500".into(),
            });
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                key: "data_dir",
                message: "must not be empty".into(),
            });
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| ConfigError::Invalid {
            key: "listen",
            message: format!("{:?} is not an address:port", self.listen),
        })
    }

    /// `external_url` without a trailing slash, ready to have paths appended.
    pub fn base_url(&self) -> &str {
        self.external_url.trim_end_matches('/')
    }

    /// Whether cookies must carry `Secure`: browsers reach signet over https.
    pub fn secure_cookies(&self) -> bool {
        self.external_url.starts_with("https://")
    }

    /// Audit events older than this many seconds are deleted.
    pub fn event_retention_seconds(&self) -> i64 {
        i64::try_from(self.event_retention_days * 86_400).unwrap_or(i64::MAX)
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("signet.sqlite3")
    }
}

fn env_value(ty: EnvType, raw: &str) -> Result<toml::Value, String> {
    match ty {
        EnvType::Str => Ok(toml::Value::String(raw.to_owned())),
        EnvType::Int => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{raw:?} is not a whole number")),
        EnvType::Bool => match raw.trim() {
            "true" | "1" => Ok(toml::Value::Boolean(true)),
            "false" | "0" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("{raw:?} is not true or false")),
        },
        EnvType::List => Ok(toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn embedded_defaults_need_no_file() {
        let c = Config::from_parts("", None, &[]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(c.external_url, "http://localhost:9000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn environment_overrides_file() {
        let c = Config::from_parts(
            "listen = \"127.0.0.1:1\"\nclock_skew_seconds = 10\n",
            None,
            &env(&[
                ("SIGNET_LISTEN", "127.0.0.1:2"),
                ("SIGNET_TRUSTED_PROXIES", "10.0.0.1, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:2");
        assert_eq!(c.clock_skew_seconds, 10);
        assert_eq!(c.trusted_proxies.len(), 2);
    }

    #[test]
    fn unknown_key_is_refused_with_its_name() {
        let err = Config::from_parts("lisen = \"x\"\n", None, &[]).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn bad_value_is_refused_with_its_key() {
        let err = Config::from_parts("listen = \"nowhere\"\n", None, &[]).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = Config::from_parts("clock_skew_seconds = \"x\"\n", None, &[]).unwrap_err();
        assert!(err.to_string().contains("clock_skew_seconds"), "{err}");
        let err = Config::from_parts("external_url = \"ftp://x\"\n", None, &[]).unwrap_err();
        assert!(err.to_string().contains("external_url"), "{err}");
        let err = Config::from_parts("", None, &env(&[("SIGNET_WORKERS", "many")])).unwrap_err();
        assert!(err.to_string().contains("SIGNET_WORKERS"), "{err}");
    }

    #[test]
    fn https_external_url_makes_cookies_secure() {
        let c =
            Config::from_parts("external_url = \"https://idp.example.com/\"", None, &[]).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.base_url(), "https://idp.example.com");
    }

    #[test]
    fn example_file_documents_every_key_with_its_default() {
        let text = include_str!("../config.example.toml");
        let table: toml::Table = text.parse().unwrap();
        let example = Config::from_parts(text, None, &[]).unwrap();
        assert_eq!(format!("{example:?}"), format!("{:?}", Config::default()));
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        let mut documented: Vec<&String> = table.keys().collect();
        let mut known: Vec<&String> = defaults.keys().collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known);
    }

    #[test]
    fn event_retention_is_bounded() {
        let err = Config::from_parts("event_retention_days = 0\n", None, &[]).unwrap_err();
        assert!(err.to_string().contains("event_retention_days"), "{err}");
        let c =
            Config::from_parts("", None, &env(&[("SIGNET_EVENT_RETENTION_DAYS", "30")])).unwrap();
        assert_eq!(c.event_retention_seconds(), 30 * 86_400);
    }
}
