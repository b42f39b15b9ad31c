//! Experiment and model names. A name is shown as the user typed it, but it is
//! looked up by its canonical form (NFKC, lower case), so "Insurance", "insurance"
//! and "ｉｎｓｕｒａｎｃｅ" are one name. Percent signs are refused rather than
//! decoded: a name can then never differ from another only by percent-encoding,
//! and a URL path segment decoded once can never smuggle a second layer.

use crate::TrackError;
use unicode_normalization::UnicodeNormalization;

/// The longest experiment, run or model name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 128;

/// A validated name: `display` as given (NFC), `canonical` for lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The name as given, normalised to NFC.
    pub display: String,
    /// The form names are compared in, so names that look the same are the same.
    pub canonical: String,
}

/// Letters and digits of any script, and `-`, `_`, `.`, space inside the name.
pub fn parse_name(kind: &str, raw: &str) -> Result<Name, TrackError> {
    let invalid = |reason: String| TrackError::InvalidName { kind: kind.to_string(), name: raw.to_string(), reason };
    let display: String = raw.nfc().collect();
    if display.trim().is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if display.trim() != display {
        return Err(invalid("it starts or ends with a space".into()));
    }
    if display.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!("it is longer than {MAX_NAME_CHARS} characters")));
    }
    if display.starts_with('.') {
        return Err(invalid("it starts with \".\"".into()));
    }
    if let Some(bad) = display.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))) {
        return Err(invalid(format!("{bad:?} is not allowed (letters, digits, \"-\", \"_\", \".\" and spaces are)")));
    }
    Ok(Name { canonical: canonical(&display), display })
}

/// NFKC folds compatibility forms (full-width letters, ligatures); lower-casing
/// can produce new compositions, so normalise once more.
fn canonical(text: &str) -> String {
    let folded: String = text.nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

/// The form in which two names that *read* alike are equal: the UTS #39
/// confusable skeleton of the canonical form (NFKC, lower case), so
/// `xssmodеl` (Cyrillic е) and `xssmodel` share one, as do `paypal` and
/// `pаypal`, `model-1` and `model-l`. One step beyond UTS #39: a combining dot
/// above (U+0307) after `i` or `j` is dropped, since those letters already
/// carry a dot (Unicode's Soft_Dotted rule), so `İnsurance` (whose lower case
/// is `i̇nsurance`) reads as, and collides with, `insurance`.
pub fn skeleton(canonical: &str) -> String {
    let mut out = String::with_capacity(canonical.len());
    for c in unicode_security::skeleton(canonical) {
        if c == '\u{307}' && (out.ends_with('i') || out.ends_with('j')) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Aliases are identifiers: ASCII letters, digits, `-` and `_`, starting with a
/// letter, and not a number (so `NAME@3` can never be confused with a version).
pub fn parse_alias(raw: &str) -> Result<String, TrackError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw.starts_with(|c: char| c.is_ascii_alphabetic())
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(TrackError::InvalidName {
            kind: "alias".into(),
            name: raw.to_string(),
            reason: "an alias starts with a letter and holds only ASCII letters, digits, \"-\" and \"_\" (at most 64)"
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_width_and_normalisation_fold_to_one_name() {
        let forms = ["Insurance", "INSURANCE", "ｉｎｓｕｒａｎｃｅ", "insurance"];
        let canonical: Vec<String> = forms.iter().map(|f| parse_name("model", f).unwrap().canonical).collect();
        assert!(canonical.iter().all(|c| c == "insurance"), "{canonical:?}");
        let composed = parse_name("model", "caf\u{e9}").unwrap();
        let decomposed = parse_name("model", "cafe\u{301}").unwrap();
        assert_eq!(composed.canonical, decomposed.canonical);
        assert_eq!(composed.display, decomposed.display);
    }

    #[test]
    fn separators_percent_and_dots_are_refused() {
        for bad in ["a/b", "a\\b", "%2e%2e", "model%41", "..", ".hidden", "", " x", "x\u{0}", "a:b", "x\ny"] {
            let error = parse_name("model", bad).unwrap_err().to_string();
            assert!(error.contains("invalid model name"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn confusable_names_share_a_skeleton() {
        let key = |name: &str| skeleton(&parse_name("model", name).unwrap().canonical);
        for (a, b) in [
            ("xssmodel", "xssmod\u{435}l"),
            ("insurance", "\u{130}nsurance"),
            ("Insurance", "\u{130}NSURANCE"),
            ("paypal", "p\u{430}ypal"),
            ("model-1", "model-l"),
            ("insurance", "ｉｎｓｕｒａｎｃｅ"),
        ] {
            assert_eq!(key(a), key(b), "{a:?} vs {b:?}");
        }
        for (a, b) in [("insurance", "insurances"), ("cafe", "caf\u{e9}"), ("model-1", "model-2")] {
            assert_ne!(key(a), key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn aliases_are_identifiers() {
        assert_eq!(parse_alias("Production").unwrap(), "production");
        for bad in ["", "3", "1abc", "a b", "a@b", "é"] {
            assert!(parse_alias(bad).is_err(), "{bad:?}");
        }
    }
}
