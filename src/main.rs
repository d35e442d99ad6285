//! `signet`: parses the command line and hands off to the library.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use signet::admin::{AppInput, AppUpdate, UserInput};
use signet::commands::{self, CommandError};
use signet::config::Config;

/// A SAML 2.0 identity provider.
#[derive(Parser)]
#[command(name = "signet", version, about)]
struct Cli {
    /// Configuration file (TOML). Also `SIGNET_CONFIG`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage applications and their SAML providers.
    #[command(subcommand)]
    App(AppCommand),
    /// Signing certificates.
    #[command(subcommand)]
    Cert(CertCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read as one line from standard input.
    Add {
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        admin: bool,
    },
    /// List users.
    List,
    /// Set a user's password, read as one line from standard input.
    Passwd { username: String },
    /// Remove a user.
    Remove { username: String },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an application with its SAML provider.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// The default ACS URL: for requests that name none, and IdP-initiated sign-in.
        #[arg(long, value_name = "URL")]
        acs_url: String,
        /// Another ACS URL requests may name; repeat for each (at most 16).
        #[arg(long = "additional-acs-url", value_name = "URL")]
        additional_acs_urls: Vec<String>,
        #[arg(long)]
        audience: Option<String>,
        #[arg(long, value_name = "URL")]
        sls_url: Option<String>,
    },
    /// Change an application's provider settings; an empty value clears one.
    Update(UpdateArgs),
    /// Show an application and the values its service provider needs.
    Show { slug: String },
    /// List applications.
    List,
    /// Remove an application.
    Remove { slug: String },
}

#[derive(Args)]
struct UpdateArgs {
    slug: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long, value_name = "URL")]
    acs_url: Option<String>,
    /// Replaces the additional ACS URLs; repeat for each. '' alone clears them.
    #[arg(long = "additional-acs-url", value_name = "URL")]
    additional_acs_urls: Option<Vec<String>>,
    #[arg(long)]
    audience: Option<String>,
    #[arg(long, value_name = "URL")]
    sls_url: Option<String>,
    #[arg(long, value_name = "redirect|post")]
    sls_binding: Option<String>,
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long, value_name = "true|false")]
    sign_assertion: Option<bool>,
    #[arg(long, value_name = "true|false")]
    sign_response: Option<bool>,
    /// PEM certificate of the SP; when set, its requests must be signed.
    #[arg(long, value_name = "PEM_FILE")]
    sp_cert: Option<PathBuf>,
    #[arg(long, value_name = "URI")]
    name_id_format: Option<String>,
    #[arg(long)]
    default_relay_state: Option<String>,
    #[arg(long, value_name = "URL")]
    launch_url: Option<String>,
    #[arg(long, value_name = "true|false")]
    enabled: Option<bool>,
}

#[derive(Subcommand)]
enum CertCommand {
    /// Print an application's signing certificate (PEM) on standard output.
    Export { slug: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&CommandError::Start(e.into())),
    };
    init_logging(&config, matches!(cli.command, Command::Serve));
    match run(cli.command, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &CommandError) -> ExitCode {
    let _ = writeln!(io::stderr(), "signet: {e}");
    ExitCode::FAILURE
}

fn init_logging(config: &Config, serving: bool) {
    // Commands log warnings only, so their standard output stays clean.
    let filter = if serving { config.log.as_str() } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .init();
}

fn run(command: Command, config: Config) -> Result<(), CommandError> {
    let mut out = io::stdout().lock();
    let mut stdin = io::stdin().lock();
    match command {
        Command::Serve => {
            let idp = signet::server::prepare(config)?;
            signet::server::serve(idp)?;
            Ok(())
        }
        Command::User(UserCommand::Add {
            username,
            email,
            given_name,
            family_name,
            admin,
        }) => {
            let input = UserInput {
                username,
                email,
                given_name,
                family_name,
                is_admin: admin,
            };
            commands::user_add(config, input, &mut stdin, &mut out)
        }
        Command::User(UserCommand::List) => commands::user_list(config, &mut out),
        Command::User(UserCommand::Passwd { username }) => {
            commands::user_passwd(config, &username, &mut stdin, &mut out)
        }
        Command::User(UserCommand::Remove { username }) => {
            commands::user_remove(config, &username, &mut out)
        }
        Command::App(AppCommand::Create {
            slug,
            name,
            acs_url,
            additional_acs_urls,
            audience,
            sls_url,
        }) => {
            let input = AppInput {
                slug,
                name,
                acs_url,
                audience,
                sls_url,
            };
            let settings = AppUpdate {
                additional_acs_urls: additional_acs_urls_arg(Some(additional_acs_urls))?,
                ..Default::default()
            };
            commands::app_create(config, input, settings, &mut out)
        }
        Command::App(AppCommand::Update(a)) => {
            let sp_cert_pem = match &a.sp_cert {
                Some(path) if path.as_os_str().is_empty() => Some(String::new()),
                Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                    CommandError::Usage(format!("--sp-cert {}: {e}", path.display()))
                })?),
                None => None,
            };
            let update = AppUpdate {
                name: a.name,
                enabled: a.enabled,
                launch_url: a.launch_url,
                acs_url: a.acs_url,
                additional_acs_urls: additional_acs_urls_arg(a.additional_acs_urls)?,
                audience: a.audience,
                issuer: a.issuer,
                sls_url: a.sls_url,
                sls_binding: a.sls_binding,
                sign_assertion: a.sign_assertion,
                sign_response: a.sign_response,
                sp_cert_pem,
                name_id_format: a.name_id_format,
                default_relay_state: a.default_relay_state,
            };
            commands::app_update(config, &a.slug, update, &mut out)
        }
        Command::App(AppCommand::Show { slug }) => commands::app_show(config, &slug, &mut out),
        Command::App(AppCommand::List) => commands::app_list(config, &mut out),
        Command::App(AppCommand::Remove { slug }) => commands::app_remove(config, &slug, &mut out),
        Command::Cert(CertCommand::Export { slug }) => {
            commands::cert_export(config, &slug, &mut out)
        }
    }
}

/// The values of `--additional-acs-url`: `None` when not given (or, on
/// create, empty), an empty list for a single `''` (clear them).
fn additional_acs_urls_arg(
    values: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, CommandError> {
    match values {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.len() == 1 && v[0].is_empty() => Ok(Some(Vec::new())),
        Some(v) if v.iter().any(String::is_empty) => Err(CommandError::Usage(
            "--additional-acs-url: an empty value clears the list and must be given alone".into(),
        )),
        Some(v) => Ok(Some(v)),
    }
}
