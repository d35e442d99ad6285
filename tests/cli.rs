//! The `signet` command line as an administrator uses it: the real binary,
//! a real data directory, exit codes and messages.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "listen = \"127.0.0.1:0\"\n\
             external_url = \"https://sso.example.com\"\n\
             data_dir = \"{}\"\n",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("signet.toml"), config).unwrap();
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("signet.toml")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with_config(&self.config(), args, stdin)
    }
}

fn run_with_config(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("SIGNET_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn user_add_reads_the_password_from_stdin_and_refuses_duplicates() {
    let env = Env::new();
    let add = |name: &str, email: &str| {
        env.run(
            &[
                "user",
                "add",
                name,
                "--email",
                email,
                "--given-name",
                "Alice",
            ],
            "a long password\n",
        )
    };
    let first = add("alice", "alice@example.com");
    assert!(first.status.success(), "{}", stderr(&first));
    let dup_name = add("alice", "other@example.com");
    assert!(!dup_name.status.success());
    assert!(
        stderr(&dup_name).contains("username"),
        "{}",
        stderr(&dup_name)
    );
    let dup_email = add("alice2", "ALICE@example.com");
    assert!(!dup_email.status.success());
    assert!(
        stderr(&dup_email).contains("email"),
        "{}",
        stderr(&dup_email)
    );
    let list = env.run(&["user", "list"], "");
    assert_eq!(
        stdout(&list)
            .lines()
            .filter(|l| l.starts_with("alice"))
            .count(),
        1
    );
}

#[test]
fn user_add_refuses_values_xml_cannot_carry_and_short_passwords() {
    let env = Env::new();
    let ctl = env.run(
        &[
            "user",
            "add",
            "eve",
            "--email",
            "eve@example.com",
            "--family-name",
            "E\u{1b}[31m",
        ],
        "a long password\n",
    );
    assert!(!ctl.status.success());
    assert!(stderr(&ctl).contains("family-name"), "{}", stderr(&ctl));
    let short = env.run(
        &["user", "add", "eve", "--email", "eve@example.com"],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(stderr(&short).contains("password"), "{}", stderr(&short));
}

#[test]
fn app_create_prints_what_the_chatgpt_wizard_needs() {
    let env = Env::new();
    let out = env.run(
        &[
            "app",
            "create",
            "chatgpt",
            "--name",
            "ChatGPT",
            "--acs-url",
            "https://temp.temp",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Entity ID:        authentik"), "{text}");
    let base = "https://sso.example.com/application/saml/chatgpt";
    assert!(text.contains(&format!("{base}/sso/binding/redirect/")));
    assert!(text.contains(&format!("{base}/slo/binding/redirect/")));
    assert!(text.contains("signet cert export chatgpt"));
    // The guide's next step, until the SP's Audience is known.
    assert!(text.contains("No Audience yet"), "{text}");
    assert!(text.contains("signet app update chatgpt --acs-url '<ACS URL>' --audience"));

    let out = env.run(&["app", "update", "chatgpt", "--audience", "urn:sp"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&env.run(&["app", "show", "chatgpt"], ""));
    assert!(shown.contains("audience:          urn:sp"), "{shown}");
    assert!(!shown.contains("No Audience yet"), "{shown}");
}

#[test]
fn cert_export_prints_the_signing_certificate_as_pem() {
    let env = Env::new();
    env.run(
        &[
            "app",
            "create",
            "a",
            "--name",
            "A",
            "--acs-url",
            "https://temp.temp",
        ],
        "",
    );
    let out = env.run(&["cert", "export", "a"], "");
    assert!(out.status.success());
    let pem = stdout(&out);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    openssl::x509::X509::from_pem(pem.as_bytes()).unwrap();
    assert!(!pem.contains("PRIVATE KEY"));
    let missing = env.run(&["cert", "export", "nope"], "");
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("nope"));
}

#[test]
fn app_update_refuses_dangerous_urls_and_changes_nothing() {
    let env = Env::new();
    env.run(
        &[
            "app",
            "create",
            "a",
            "--name",
            "A",
            "--acs-url",
            "https://temp.temp",
        ],
        "",
    );
    for (flag, url) in [
        ("--acs-url", "javascript:alert(1)"),
        ("--acs-url", "data:text/html,hi"),
        ("--acs-url", "/relative"),
        ("--sls-url", "http://sp.example.com/sls"),
        ("--launch-url", "javascript:alert(1)"),
    ] {
        let out = env.run(&["app", "update", "a", flag, url], "");
        assert!(!out.status.success(), "{flag} {url} was accepted");
        assert!(
            stderr(&out).contains(flag.trim_start_matches("--")),
            "{}",
            stderr(&out)
        );
    }
    let show = stdout(&env.run(&["app", "show", "a"], ""));
    assert!(
        show.contains("ACS URL:           https://temp.temp"),
        "{show}"
    );
    let ok = env.run(
        &[
            "app",
            "update",
            "a",
            "--acs-url",
            "https://sp.example.com/acs?c=1",
            "--audience",
            "sp",
        ],
        "",
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let show = stdout(&env.run(&["app", "show", "a"], ""));
    assert!(show.contains("https://sp.example.com/acs?c=1"));
}

#[test]
fn an_unknown_configuration_key_stops_with_its_name() {
    let env = Env::new();
    std::fs::write(env.config(), "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = env.run(&["user", "list"], "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("lisen"), "{}", stderr(&out));
}

#[test]
fn a_private_key_readable_by_others_stops_the_start_naming_the_file() {
    let env = Env::new();
    assert!(env.run(&["user", "list"], "").status.success());
    let key = std::fs::read_dir(env.data().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".key.pem"))
        .unwrap();
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["serve"], "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&key.display().to_string()),
        "{}",
        stderr(&out)
    );
}

/// The additional ACS URLs `app show` prints, in order.
fn shown_additional(env: &Env, slug: &str) -> Vec<String> {
    let show = stdout(&env.run(&["app", "show", slug], ""));
    let mut lines = show
        .lines()
        .skip_while(|l| !l.starts_with("additional ACS:"));
    let first = lines.next().expect("an additional ACS line");
    let first = first.trim_start_matches("additional ACS:").trim();
    if first == "(none)" {
        return Vec::new();
    }
    let mut urls = vec![first.to_owned()];
    urls.extend(
        lines
            .take_while(|l| l.starts_with("                   "))
            .map(|l| l.trim().to_owned()),
    );
    urls
}

#[test]
fn app_create_and_update_set_replace_and_clear_additional_acs_urls() {
    let env = Env::new();
    let staging = "https://staging.sp.example.com/acs?connection=c1";
    let eu = "https://eu.sp.example.com/acs";
    let out = env.run(
        &[
            "app",
            "create",
            "sp",
            "--name",
            "SP",
            "--acs-url",
            "https://sp.example.com/acs",
            "--additional-acs-url",
            staging,
            "--additional-acs-url",
            eu,
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(shown_additional(&env, "sp"), [staging, eu]);
    let show = stdout(&env.run(&["app", "show", "sp"], ""));
    assert!(
        show.contains("ACS URL:           https://sp.example.com/acs"),
        "{show}"
    );

    // Another setting leaves them as they are.
    let out = env.run(&["app", "update", "sp", "--audience", "urn:sp"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(shown_additional(&env, "sp"), [staging, eu]);

    // The given list replaces the old one.
    let out = env.run(&["app", "update", "sp", "--additional-acs-url", eu], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(shown_additional(&env, "sp"), [eu]);

    // '' alone clears it; mixed with URLs it is refused.
    let out = env.run(
        &[
            "app",
            "update",
            "sp",
            "--additional-acs-url",
            "",
            "--additional-acs-url",
            staging,
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("additional-acs-url"),
        "{}",
        stderr(&out)
    );
    assert_eq!(shown_additional(&env, "sp"), [eu]);
    let out = env.run(&["app", "update", "sp", "--additional-acs-url", ""], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(shown_additional(&env, "sp").is_empty());
}

#[test]
fn additional_acs_urls_are_checked_like_the_acs_url_and_nothing_changes() {
    let env = Env::new();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "app",
            "create",
            "sp",
            "--name",
            "SP",
            "--acs-url",
            "https://sp.example.com/acs",
        ];
        args.extend_from_slice(extra);
        env.run(&args, "")
    };
    let bad = create(&["--additional-acs-url", "javascript:alert(1)"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("additional-acs-url"),
        "{}",
        stderr(&bad)
    );
    assert!(stdout(&env.run(&["app", "list"], "")).lines().count() == 1);

    let ok = create(&["--additional-acs-url", "https://a.example.com/acs"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    for urls in [
        &["data:text/html,hi"][..],
        &["/relative"],
        &["http://sp.example.com/other"],
        &["https://sp.example.com/acs"],
        &["https://b.example.com/acs", "https://b.example.com/acs"],
    ] {
        let mut args = vec!["app", "update", "sp", "--name", "Renamed"];
        for u in urls {
            args.extend_from_slice(&["--additional-acs-url", u]);
        }
        let out = env.run(&args, "");
        assert!(!out.status.success(), "{urls:?} was accepted");
        assert!(
            stderr(&out).contains("additional-acs-url"),
            "{}",
            stderr(&out)
        );
    }
    let many: Vec<String> = (0..17)
        .map(|i| format!("https://s{i}.example.com/acs"))
        .collect();
    let mut args = vec!["app", "update", "sp"];
    for u in &many {
        args.extend_from_slice(&["--additional-acs-url", u]);
    }
    let out = env.run(&args, "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("at most 16"), "{}", stderr(&out));
    let show = stdout(&env.run(&["app", "show", "sp"], ""));
    assert!(show.contains("name:              SP\n"), "{show}");
    assert_eq!(shown_additional(&env, "sp"), ["https://a.example.com/acs"]);
}
