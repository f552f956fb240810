//! Shared test helpers: where the fixtures are, how to run zkdd, and how to
//! run ZooKeeper's own tools when the machine has them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testdata/zk-3.8`.
pub fn fixtures() -> PathBuf {
    root().join("testdata/zk-3.8")
}

/// Every fixture data dir (a dir holding `version-2/`) of ZooKeeper 3.8,
/// ensemble members included.
pub fn data_dirs() -> Vec<PathBuf> {
    data_dirs_under(&fixtures())
}

/// Every fixture data dir of every ZooKeeper version (`testdata/zk-*`:
/// 3.4, 3.5, 3.6, 3.8, 3.9), each with its `expected/` outputs of that
/// version's own tools and restore.
pub fn all_data_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for v in ["3.4", "3.5", "3.6", "3.8", "3.9"] {
        out.extend(data_dirs_under(&root().join(format!("testdata/zk-{v}"))));
    }
    out
}

/// The ZooKeeper version ("3.4" … "3.9") whose fixture `data_dir` is.
pub fn zk_version_of(data_dir: &Path) -> &'static str {
    let s = data_dir.to_string_lossy();
    ["3.4", "3.5", "3.6", "3.8", "3.9"]
        .into_iter()
        .find(|v| s.contains(&format!("testdata/zk-{v}/")))
        .unwrap_or_else(|| panic!("{}: not a versioned fixture", data_dir.display()))
}

fn data_dirs_under(top: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(top).min_depth(1).max_depth(3) {
        let entry = entry.unwrap();
        if entry.file_type().is_dir() && entry.path().join("version-2").is_dir() {
            out.push(entry.path().to_path_buf());
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no fixtures under {}", top.display());
    out
}

/// The `expected/` dir that belongs to a data dir (`<scenario>/expected`, or
/// `<scenario>/expected/<member>` style when the helper wrote one per member).
pub fn expected_dir(data_dir: &Path) -> Option<PathBuf> {
    let scenario = data_dir.parent()?;
    let member = data_dir.file_name()?.to_string_lossy().into_owned();
    [
        scenario.join("expected").join(&member),
        scenario.join("expected"),
        data_dir.join("expected"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

/// Every file in a data dir's `version-2/` whose name starts with `prefix`.
pub fn files(data_dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir.join("version-2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// The built `zkdd` binary, or the one `ZKDD_TEST_BIN` names: running a
/// test against an older build shows that the test can fail.
pub fn zkdd() -> Command {
    match std::env::var_os("ZKDD_TEST_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::new(env!("CARGO_BIN_EXE_zkdd")),
    }
}

/// Runs zkdd with `args`; returns the output (any exit status). With
/// `--json`, every line written is checked against the published schema
/// (src/render/zkdd.schema.json), keys in its order.
pub fn run(args: &[&str]) -> Output {
    let o = zkdd().args(args).output().expect("run zkdd");
    if args.contains(&"--json") && std::env::var_os("ZKDD_TEST_BIN").is_none() {
        // ZKDD_JSON_SAMPLES=DIR keeps every output instead (for drafting
        // the schema of new lines).
        match std::env::var_os("ZKDD_JSON_SAMPLES") {
            Some(dir) => {
                let n = SAMPLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let base = Path::new(&dir).join(format!("{}-{n}", std::process::id()));
                let _ = std::fs::write(base.with_extension("cmd"), args.join(" "));
                let _ = std::fs::write(base.with_extension("out"), &o.stdout);
            }
            None => check_json_lines(args.first().copied().unwrap_or(""), &o.stdout),
        }
    }
    o
}

static SAMPLE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The schema, and a validator per subcommand.
struct Schemas {
    schema: serde_json::Value,
    validators: std::collections::HashMap<String, jsonschema::Validator>,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("src/render/zkdd.schema.json"))
            .expect("read the schema");
        let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
        let mut validators = std::collections::HashMap::new();
        for command in schema["$defs"]["commands"]
            .as_object()
            .expect("commands")
            .keys()
        {
            let mut one = schema.clone();
            let root = one.as_object_mut().expect("an object");
            root.remove("anyOf");
            root.insert(
                "$ref".into(),
                serde_json::json!(format!("#/$defs/commands/{command}")),
            );
            let v = jsonschema::draft202012::new(&one)
                .unwrap_or_else(|e| panic!("the schema for {command} does not compile: {e}"));
            validators.insert(command.clone(), v);
        }
        Schemas { schema, validators }
    })
}

/// Checks every line `command --json` wrote against the schema: the
/// subcommand's lines, fields and types, and keys in the documented order.
pub fn check_json_lines(command: &str, stdout: &[u8]) {
    let s = schemas();
    let Some(validator) = s.validators.get(command) else {
        panic!("{command} --json: the schema has no $defs/commands/{command}");
    };
    let text = String::from_utf8_lossy(stdout);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{command} --json: not JSON ({e}): {line}"));
        if let Some(e) = validator.iter_errors(&v).next() {
            panic!(
                "{command} --json: a line the schema does not allow ({e} at {}): {line}",
                e.instance_path()
            );
        }
        // The line's definition: its type (and command, for summaries).
        let defs = &s.schema["$defs"]["lines"];
        let def = s.schema["$defs"]["commands"][command]["anyOf"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["$ref"].as_str()?.strip_prefix("#/$defs/lines/"))
            .map(|name| &defs[name])
            .find(|d| {
                d["properties"]["type"]["const"] == v["type"]
                    && (d["properties"]["command"]["const"].is_null()
                        || d["properties"]["command"]["const"] == v["command"])
            })
            .unwrap_or_else(|| panic!("{command} --json: no line definition for {line}"));
        let order: Vec<&String> = def["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .collect();
        let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
        let mut at = 0;
        for k in &keys {
            match order[at..].iter().position(|o| o == k) {
                Some(i) => at += i + 1,
                None => panic!(
                    "{command} --json: key {k:?} out of the documented order {order:?}: {line}"
                ),
            }
        }
    }
}

/// Stdout as UTF-8.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

/// Parses JSON Lines.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Copies a directory tree (for tests that modify a data dir).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dst = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}

/// The class path for ZooKeeper's own tools, when Debian's zookeeper is installed.
pub fn zk_classpath() -> Option<String> {
    let jars = [
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/zookeeper-jute.jar",
        "/usr/share/java/slf4j-api.jar",
        "/usr/share/java/slf4j-nop.jar",
        "/usr/share/java/snappy-java.jar",
        "/usr/share/java/log4j-1.2.jar",
    ];
    if !Path::new(jars[0]).exists() || Command::new("java").arg("-version").output().is_err() {
        return None;
    }
    Some(
        jars.iter()
            .filter(|j| Path::new(j).exists())
            .cloned()
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// True when tests that need ZooKeeper must run (CI sets ZKDD_REQUIRE_ZK=1,
/// so a missing install fails loudly instead of skipping).
pub fn require_zk() -> bool {
    std::env::var_os("ZKDD_REQUIRE_ZK").is_some()
}

/// The class path, or `None` after recording that the test is skipped
/// ([`skip`]); panics when ZKDD_REQUIRE_ZK is set and ZooKeeper is missing.
pub fn zk_or_skip(test: &str) -> Option<String> {
    match zk_classpath() {
        Some(cp) => Some(cp),
        None if require_zk() => {
            panic!("{test}: ZooKeeper 3.8 (Debian's zookeeper package) and java are required")
        }
        None => {
            skip(test, Missing::ZooKeeper);
            None
        }
    }
}

/// What a skipped test needed, and how to get it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// Debian's ZooKeeper 3.8 and java.
    ZooKeeper,
    /// A JDK's javac (to compile the ZooKeeper restore oracle).
    Javac,
    /// The ZooKeeper 3.4/3.5/3.6/3.9 jars of testdata/generate/fetch-jars.sh.
    ZkJars,
    /// Prometheus's promtool.
    Promtool,
    /// Debian's chromium (headless, for zkdd report's pages).
    Chromium,
    /// man-db's man and groff (to render the man pages at 80 columns).
    Man,
}

impl Missing {
    fn explain(self) -> &'static str {
        match self {
            Missing::ZooKeeper => {
                "passed WITHOUT their checks against a real ZooKeeper: its jar or java is not installed.\n  \
                 To run them: apt-get install -y zookeeper python3-kazoo (Debian 12), then cargo test again;\n  \
                 ZKDD_REQUIRE_ZK=1 cargo test makes them fail instead of skipping (.ci/run sets it)."
            }
            Missing::Javac => {
                "passed WITHOUT ZooKeeper's own restore as the oracle: javac is not installed.\n  \
                 To run them: apt-get install -y default-jdk-headless, then cargo test again."
            }
            Missing::ZkJars => {
                "passed WITHOUT loading zkdd's snapshots in ZooKeeper 3.4, 3.5, 3.6 and 3.9: their jars are not in\n  \
                 ${ZKDD_ZK_JARS:-~/.cache/zkdd/zk-jars}/<version>/ (or java/javac is missing).\n  \
                 To run them: testdata/generate/fetch-jars.sh (downloads ~1.2 GB once), then cargo test again;\n  \
                 ZKDD_REQUIRE_ZK_JARS=1 cargo test makes them fail instead of skipping."
            }
            Missing::Promtool => {
                "passed WITHOUT promtool check metrics: promtool is not installed.\n  \
                 To run them: apt-get install -y prometheus (Debian 12), then cargo test again;\n  \
                 ZKDD_REQUIRE_PROMTOOL=1 cargo test makes them fail instead (.ci/run sets it)."
            }
            Missing::Chromium => {
                "passed WITHOUT rendering the report pages in a browser: chromium is not installed.\n  \
                 To run them: apt-get install -y chromium (Debian 12), then cargo test again;\n  \
                 ZKDD_REQUIRE_CHROMIUM=1 cargo test makes them fail instead (.ci/run sets it)."
            }
            Missing::Man => {
                "passed WITHOUT rendering the man pages: man (man-db) or groff is not installed.\n  \
                 To run them: apt-get install -y man-db groff-base, then cargo test again;\n  \
                 ZKDD_REQUIRE_MAN=1 cargo test makes them fail instead (.ci/run sets it)."
            }
        }
    }
}

/// Tests that skipped part of their work in this run.
static SKIPPED: std::sync::Mutex<Vec<(String, Missing)>> = std::sync::Mutex::new(Vec::new());

/// Records that `test` skipped its checks for want of `missing`. cargo
/// shows nothing a passing test prints, so the skips are listed once more
/// after the test binary's own `test result:` line, when it exits.
pub fn skip(test: &str, missing: Missing) {
    eprintln!("{test}: skipped, {}", missing.explain());
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    if skipped.is_empty() {
        at_exit::print_skips_at_exit();
    }
    skipped.push((test.to_string(), missing));
}

/// The list of skipped tests, printed after libtest's summary.
#[allow(unsafe_code)] // atexit(3): the one hook that runs after libtest's summary
mod at_exit {
    use std::io::Write;

    extern "C" fn print_skips() {
        // Never panic here (it would abort); a lock held elsewhere means
        // a test is still running, which cannot happen at exit.
        let Ok(mut skipped) = super::SKIPPED.try_lock() else {
            return;
        };
        skipped.sort();
        skipped.dedup();
        let mut err = std::io::stderr().lock();
        let mut reasons: Vec<super::Missing> = skipped.iter().map(|s| s.1).collect();
        reasons.sort();
        reasons.dedup();
        for why in reasons {
            let names: Vec<&str> = skipped
                .iter()
                .filter(|s| s.1 == why)
                .map(|s| s.0.as_str())
                .collect();
            let _ = writeln!(
                err,
                "\nNOTE: {} test(s) {}\n  Skipped: {}\n",
                names.len(),
                why.explain(),
                names.join(", ")
            );
        }
    }

    /// Registers [`print_skips`] to run when the process exits.
    pub fn print_skips_at_exit() {
        // SAFETY: atexit only stores the pointer of a function that takes
        // nothing and returns nothing, as its signature requires; the
        // function never unwinds.
        unsafe {
            libc::atexit(print_skips);
        }
    }
}

/// Runs one of ZooKeeper's Java main classes (UTC, en locale).
pub fn zk_tool(cp: &str, class: &str, args: &[&str]) -> Output {
    Command::new("java")
        .arg("-Duser.timezone=UTC")
        .arg("-Duser.language=en")
        .arg("-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni")
        .arg("-cp")
        .arg(cp)
        .arg(class)
        .args(args)
        .output()
        .expect("run java")
}

/// A standalone ZooKeeperServerMain on 127.0.0.1 and a free port, killed by
/// PID when dropped (also when an assert fails first).
pub struct ZkServer {
    child: std::process::Child,
    /// The client port.
    pub port: u16,
}

impl ZkServer {
    /// Writes `cfg_dir/zoo.cfg` (dataDir = `data_dir`, plus `extra` lines),
    /// starts the server with extended types on (TTL nodes), plus `jvm`
    /// properties, and waits until `srvr` reports a Mode (the data is loaded).
    pub fn start(cp: &str, cfg_dir: &Path, data_dir: &Path, extra: &str, jvm: &[&str]) -> ZkServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = cfg_dir.join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n\
                 4lw.commands.whitelist=*\n{extra}",
                data_dir.display()
            ),
        )
        .unwrap();
        let child = Command::new("java")
            .arg("-Dzookeeper.extendedTypesEnabled=true")
            .arg("-Dfile.encoding=UTF-8")
            .args(jvm)
            .args(["-cp", cp, "org.apache.zookeeper.server.ZooKeeperServerMain"])
            .arg(&cfg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start ZooKeeper");
        let server = ZkServer { child, port };
        let t0 = std::time::Instant::now();
        while !four_letter(port, "srvr").contains("Mode:") {
            assert!(t0.elapsed().as_secs() < 60, "ZooKeeper did not start");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        server
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends a four-letter word and returns the answer ("" if it cannot connect).
pub fn four_letter(port: u16, word: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let _ = s.write_all(word.as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}
