//! The one sanitizer for text that leaves the engine for a terminal, a log, a Markdown or
//! CSV report, or a remedy.
//!
//! Names, descriptions and messages come from the service (anyone who may create a
//! connection chooses its name), so none of them reaches an output raw:
//!
//! - **Control characters** (C0 but tab and newline handled per target, DEL, C1, so every
//!   ESC sequence starts with an escaped ESC) and **bidi controls** (U+202A–U+202E,
//!   U+2066–U+2069, U+200E, U+200F, U+061C) and the line separators U+2028/U+2029 are
//!   shown escaped (`\x1b`, `\u{202e}`): visible, so nothing is lost and nothing acts.
//! - **Markdown**: the characters that start a link, an image, HTML, an entity, code,
//!   emphasis, a table cell or an autolink are backslash-escaped, so a name is text.
//! - **CSV**: a cell that a spreadsheet would run as a formula gets a leading `'`, then
//!   RFC 4180 quoting.
//!
//! ```
//! use federate_core::sanitize::{terminal_text, markdown_text};
//! assert_eq!(terminal_text("evil\u{1b}[2Jok"), r"evil\x1b[2Jok");
//! assert_eq!(markdown_text("[x](javascript:y)"), r"\[x\]\(javascript\:y\)");
//! ```

use std::fmt::Write as _;

/// Where a text goes; each target has its rules (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One line of a terminal or a log: controls escaped, tab, CR and LF become a space.
    Terminal,
    /// Several lines (a remedy, a block of text): as `Terminal`, but LF and tab are kept.
    Block,
    /// A Markdown inline text (a table cell): as `Terminal`, then Markdown escaped.
    Markdown,
    /// One CSV cell: as `Terminal`, then neutralized and quoted.
    Csv,
    /// Serialized JSON: the same value, with what a serializer leaves raw escaped (see
    /// [`json_text`]).
    Json,
}

impl std::str::FromStr for Target {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "terminal" | "log" => Ok(Self::Terminal),
            "block" => Ok(Self::Block),
            "markdown" | "md" => Ok(Self::Markdown),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(crate::Error::Argument(format!(
                "unknown sanitize target {s:?}: expected one of terminal, block, markdown, csv, json"
            ))),
        }
    }
}

/// Text made safe for `target`.
pub fn sanitize(text: &str, target: Target) -> String {
    match target {
        Target::Terminal => terminal_text(text),
        Target::Block => terminal_block(text),
        Target::Markdown => markdown_text(text),
        Target::Csv => csv_cell(text),
        Target::Json => json_text(text),
    }
}

/// Whether `c` is a bidirectional formatting character (embedding, override, isolate, mark).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Whether `c` must not reach an output raw: C0, DEL, C1, bidi controls, U+2028/U+2029.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The visible escape of an unsafe character: `\x1b` up to U+00FF, `\u{202e}` above.
fn push_escaped(out: &mut String, c: char) {
    let n = u32::from(c);
    if n <= 0xff {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:04x}}}");
    }
}

fn escape_controls(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            '\t' | '\r' | '\n' if !keep_lines => out.push(' '),
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// One line for a terminal or a log: unsafe characters escaped, tab, CR and LF as spaces.
pub fn terminal_text(text: &str) -> String {
    escape_controls(text, false)
}

/// A block of lines for a terminal (a remedy): as [`terminal_text`], LF and tab kept.
pub fn terminal_block(text: &str) -> String {
    escape_controls(text, true)
}

/// Characters escaped in Markdown: those that open a link or image (`[ ] ( ) !`), HTML and
/// entities (`< > &`), code, emphasis and strike (`` ` * _ ~ ``), a table cell (`|`), math
/// (`$`), footnotes (`^`), headings (`#`), and autolinks (`:` of a scheme, `@` of an email).
const MARKDOWN_SPECIAL: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '(', ')', '<', '>', '!', '|', '~', '&', ':', '@', '$', '^', '#',
];

/// Inline Markdown text: a name stays text (no link, image, HTML, entity or table break).
///
/// Every special character is backslash-escaped (a backslash before ASCII punctuation
/// renders as that character alone), and the dot of a `www.` (an autolink of GFM) too.
pub fn markdown_text(text: &str) -> String {
    let clean = terminal_text(text);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        if MARKDOWN_SPECIAL.contains(&c)
            || (c == '.'
                && out
                    .get(out.len().saturating_sub(3)..)
                    .is_some_and(|t| t.eq_ignore_ascii_case("www")))
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One CSV cell: unsafe characters escaped, tab, CR and LF as spaces; a start that a
/// spreadsheet runs as a formula (`= + - @`, and `| %` for older ones) gets a leading `'`;
/// then quoted when needed (RFC 4180).
pub fn csv_cell(text: &str) -> String {
    let mut v = terminal_text(text);
    if v.trim_start().starts_with(['=', '+', '-', '@', '|', '%']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// A CSV document: every cell through [`csv_cell`], CRLF line ends (RFC 4180).
pub fn csv_table<R: AsRef<[S]>, S: AsRef<str>>(rows: &[R]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.as_ref().iter().map(|c| csv_cell(c.as_ref())).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Serialized JSON made terminal-safe without losing anything: the C1 controls, bidi
/// controls and U+2028/U+2029 that a JSON serializer leaves raw inside strings become
/// `\uXXXX` escapes (still the same JSON value). A serializer escapes C0 controls already;
/// any other than JSON's whitespace (LF, CR, tab) is escaped too, so text that is not JSON
/// reaches no terminal raw either.
pub fn json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t') {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const EVIL: &str = "evil\u{1b}[2J\u{1b}[1;1Hfake-ok\u{9b}31m\u{202e}gnp.exe\u{2066}x\u{7}\r\nz";

    fn raw_unsafe(s: &str) -> Vec<char> {
        s.chars()
            .filter(|&c| is_unsafe(c) && c != '\n' && c != '\t')
            .collect()
    }

    #[test]
    fn terminal_escapes_every_control() {
        let out = terminal_text(EVIL);
        assert!(raw_unsafe(&out).is_empty(), "{out:?}");
        assert!(!out.contains('\n') && !out.contains('\t'));
        assert_eq!(
            out,
            r"evil\x1b[2J\x1b[1;1Hfake-ok\x9b31m\u{202e}gnp.exe\u{2066}x\x07  z"
        );
        assert_eq!(terminal_text("plain name é ü"), "plain name é ü");
    }

    #[test]
    fn block_keeps_lines() {
        assert_eq!(terminal_block("a\n\tb\u{1b}c\r"), "a\n\tb\\x1bc\\x0d");
    }

    #[test]
    fn markdown_is_text() {
        let out = markdown_text("![x](https://evil.example/t.png) [click](javascript:alert(1))");
        assert_eq!(
            out,
            r"\!\[x\]\(https\://evil.example/t.png\) \[click\]\(javascript\:alert\(1\)\)"
        );
        assert_eq!(markdown_text("a|b<img>&lt;"), r"a\|b\<img\>\&lt;");
        assert_eq!(
            markdown_text("see www.evil.example"),
            r"see www\.evil.example"
        );
        assert_eq!(markdown_text("x@evil.example"), r"x\@evil.example");
        assert!(raw_unsafe(&markdown_text(EVIL)).is_empty());
    }

    #[test]
    fn csv_cells() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2,3"), "\"'-2,3\"");
        assert_eq!(csv_cell("@x"), "'@x");
        assert_eq!(csv_cell("|x"), "'|x");
        assert_eq!(csv_cell("%x"), "'%x");
        // A tab or CR at the start is a space now; what follows is still neutralized.
        assert_eq!(csv_cell("\t=1"), "' =1");
        assert_eq!(csv_cell("a\nb"), "a b");
        assert!(raw_unsafe(&csv_cell(EVIL)).is_empty());
        assert_eq!(
            csv_table(&[vec!["a", "=b"], vec!["c,d", ""]]),
            "a,'=b\r\n\"c,d\",\r\n"
        );
    }

    #[test]
    fn json_target_is_json_text() {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "name": EVIL })).unwrap();
        assert_eq!(sanitize(&text, "json".parse().unwrap()), json_text(&text));
        // Not JSON at all: still nothing raw, lines kept.
        assert_eq!(json_text("a\u{1b}[2J\u{7f}\nb"), "a\\u001b[2J\\u007f\nb");
    }

    #[test]
    fn json_stays_json() {
        let value = serde_json::json!({ "name": EVIL });
        let text = json_text(&serde_json::to_string(&value).unwrap());
        assert!(raw_unsafe(&text).is_empty(), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "lossless");
    }

    #[test]
    fn targets_parse() {
        assert_eq!("md".parse::<Target>().unwrap(), Target::Markdown);
        assert!("html".parse::<Target>().is_err());
        assert_eq!(sanitize("=x", Target::Csv), "'=x");
    }
}
