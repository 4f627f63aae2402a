//! Secrets kept out of config errors, which reach the journal (`ExecStartPre=flashpoint
//! check-config`): the TOML parser quotes the offending line, and a type error quotes the value.

/// Whether `key` (`webhooks[0].secret`, `webhooks[1].secret_file`) holds a secret.
pub(super) fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    let last = last.trim_matches(|c| c == '"' || c == '\'');
    last.get(..6).is_some_and(|head| head.eq_ignore_ascii_case("secret"))
}

/// `message` with every value in it (between backticks or quotes) replaced by `<redacted>`.
pub(super) fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"', '\'']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        out.push_str(&rest[..open]);
        out.push_str("<redacted>");
        rest = rest[open + 1..].find(quote).map_or("", |close| &rest[open + 1 + close + 1..]);
    }
    out.push_str(rest);
    out
}

/// `text` (a parser's message, which may quote config lines) with the value of every
/// `secret… = value` assignment in it replaced by `<redacted>`.
pub(super) fn redact_assignments(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(redact_line).collect();
    lines.join("\n")
}

fn redact_line(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("secret").map(|n| from + n) {
        let after = &line[at..];
        let key_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '"' | '\'')))
            .unwrap_or(after.len());
        let rest = &after[key_len..];
        if let Some(value) = rest.trim_start().strip_prefix('=') {
            let kept = line.len() - value.len();
            return format!("{} <redacted>", &line[..kept]);
        }
        from = at + key_len.max(1);
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        let cases = [
            ("webhooks[0].secret", true),
            ("webhooks[\"ops\"].secret_file", true),
            ("secret", true),
            ("webhooks[0].url", false),
            ("webhooks[0].secretary", true),
            ("fetch.user_agent", false),
        ];
        for (key, want) in cases {
            assert_eq!(is_secret_key(key), want, "{key}");
        }
    }

    /// Issue 21 (6): the TOML error quoted `secret = "hunter2SECRET`, and a type error the number.
    #[test]
    fn values_are_redacted() {
        assert_eq!(
            redact_values("invalid type: integer `123456789`, expected a string"),
            "invalid type: integer <redacted>, expected a string"
        );
        assert_eq!(redact_values("invalid value: \"abc\" (unclosed"), "invalid value: <redacted> (unclosed");
        let parse_error = "TOML parse error at line 3, column 10\n  |\n3 | secret = \"hunter2SECRET\n  |          ^\ninvalid basic string";
        let got = redact_assignments(parse_error);
        assert!(!got.contains("hunter2"), "{got}");
        assert!(got.contains("3 | secret = <redacted>"), "{got}");
        let inline = "5 | webhooks = [{ url = \"https://h.example/\", SECRET_2 =\"hunter2\" }]";
        assert!(!redact_assignments(inline).contains("hunter2"));
        assert_eq!(redact_assignments("1 | secretary_note"), "1 | secretary_note");
    }
}
