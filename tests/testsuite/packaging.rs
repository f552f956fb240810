//! The shipped units, /etc/default/zkdd, Cargo.toml's package metadata and
//! the README agree. (.ci/package-check builds, installs and runs them.)

use std::collections::BTreeMap;
use std::fs;

use crate::common;

fn read(rel: &str) -> String {
    fs::read_to_string(common::root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The values of `key=` in a unit file, in order.
fn values(unit: &str, key: &str) -> Vec<String> {
    read(&format!("packaging/systemd/{unit}"))
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

/// The unit's command with the defaults filled in, as systemd runs it when
/// /etc/default/zkdd sets nothing: `${VAR}` from `Environment=`, the empty
/// `$ZKDD_*_ARGS` gone.
fn default_command(unit: &str) -> String {
    let env: BTreeMap<String, String> = values(unit, "Environment")
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let exec = &values(unit, "ExecStart")[0];
    let mut words = Vec::new();
    for w in exec.split(' ') {
        if w.starts_with('$') && !w.starts_with("${") {
            assert!(!env.contains_key(&w[1..]), "{unit}: {w} has a default");
            continue;
        }
        let mut w = w.to_string();
        for (k, v) in &env {
            w = w.replace(&format!("${{{k}}}"), v);
        }
        assert!(!w.contains('$'), "{unit}: {w}");
        words.push(w);
    }
    words.join(" ")
}

#[test]
fn readme_shows_the_units_commands_and_timers_as_shipped() {
    let readme = read("README.md");
    for unit in ["zkdd-purge.service", "zkdd-verify.service"] {
        let exec = &values(unit, "ExecStart")[0];
        assert!(
            readme.contains(&format!("`{exec}`")),
            "README does not show {unit}'s ExecStart={exec}"
        );
        let cmd = default_command(unit);
        assert!(
            readme.lines().any(|l| l == cmd),
            "README does not show {unit} with the defaults: {cmd}"
        );
        // The cron line runs the same command.
        let cron = readme
            .lines()
            .filter(|l| l.contains("/usr/bin/zkdd") && l.starts_with(char::is_numeric))
            .find(|l| l.contains(&cmd))
            .unwrap_or_else(|| panic!("no cron line runs {cmd}"));
        let user = values(unit, "User");
        let want_user = user.first().map_or("root", String::as_str);
        assert!(
            cron.split_whitespace().nth(5) == Some(want_user),
            "{cron}: runs as {want_user} under systemd"
        );
        assert!(cron.contains("nice -n 19 ionice -c 3"), "{cron}");
        assert_eq!(values(unit, "Nice"), ["19"]);
        assert_eq!(values(unit, "IOSchedulingClass"), ["idle"]);
    }
    for timer in ["zkdd-purge.timer", "zkdd-verify.timer"] {
        for key in ["OnCalendar", "RandomizedDelaySec", "Persistent"] {
            let v = &values(timer, key)[0];
            assert!(
                readme.contains(&format!("`{key}={v}`")),
                "README does not show {timer}'s {key}={v}"
            );
        }
    }
}

#[test]
fn etc_default_zkdd_documents_every_variable_with_the_units_defaults() {
    let defaults = read("packaging/default/zkdd");
    let readme = read("README.md");
    for unit in ["zkdd-purge.service", "zkdd-verify.service"] {
        assert_eq!(
            values(unit, "EnvironmentFile"),
            ["-/etc/default/zkdd"],
            "{unit}"
        );
        for kv in values(unit, "Environment") {
            assert!(
                defaults.lines().any(|l| l == format!("#{kv}")),
                "/etc/default/zkdd does not show the default {kv}"
            );
        }
        let exec = &values(unit, "ExecStart")[0];
        for var in exec
            .split(['$', '{', '}', ' ', '/'])
            .filter(|w| w.starts_with("ZKDD_"))
        {
            assert!(
                defaults.contains(&format!("#{var}=")),
                "/etc/default/zkdd does not mention {var}"
            );
            assert!(
                readme.contains(&format!("| `{var}` |")),
                "README's settings table lacks {var}"
            );
        }
    }
}

#[test]
fn readme_shows_the_alerting_rules_file() {
    let rules = read("packaging/prometheus/zkdd.rules.yml");
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("```yaml\n{rules}```")),
        "README's rules block differs from packaging/prometheus/zkdd.rules.yml"
    );
}

#[test]
fn package_assets_from_the_repo_exist() {
    let cargo = read("Cargo.toml");
    let deb = &cargo[cargo.find("[package.metadata.deb]").unwrap()..];
    let mut n = 0;
    for line in deb.lines().map(str::trim).filter(|l| l.starts_with("[\"")) {
        let source = line.split('"').nth(1).unwrap();
        n += 1;
        // target/ holds what packaging/build-deb builds and stages.
        if !source.starts_with("target/") {
            assert!(
                common::root().join(source).is_file(),
                "asset {source} missing"
            );
        }
    }
    assert!(n >= 8, "{n} assets");
    // Every unit file is covered by a systemd-units entry.
    for e in fs::read_dir(common::root().join("packaging/systemd")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let unit = name.rsplit_once('.').unwrap().0;
        assert!(
            deb.contains(&format!("unit-name = \"{unit}\"")),
            "{name} has no systemd-units entry"
        );
    }
}
