//! Bytes → text: the byte-order mark, then the `Content-Type` charset, then `<meta charset>` in the
//! first kilobytes, then UTF-8 if the bytes are valid UTF-8, then detection (chardetng). Never an
//! error: malformed sequences become U+FFFD.

use encoding_rs::Encoding;

/// How far into a page a `<meta charset>` is looked for (the HTML spec's prescan uses 1024 bytes;
/// real pages put long scripts first, so look further).
const PRESCAN_BYTES: usize = 4096;

/// Decodes a page or feed body.
#[must_use]
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let encoding = Encoding::for_bom(bytes)
        .map(|(enc, _)| enc)
        .or_else(|| content_type.and_then(charset_param).and_then(|l| Encoding::for_label(l.as_bytes())))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(PRESCAN_BYTES)]))
        .unwrap_or_else(|| detect(bytes));
    // `decode` strips a BOM matching the encoding and replaces malformed sequences.
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

/// UTF-8 when the bytes are valid UTF-8, else chardetng's guess (windows-1252, windows-1256, …).
fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"charset") {
        let mut i = from + at + b"charset".len();
        from = i;
        while lower.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while lower.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'') {
            i += 1;
        }
        let end = lower[i..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
            .map_or(lower.len(), |n| i + n);
        if let Some(enc) = Encoding::for_label(&lower[i..end]) {
            // A page that says UTF-16 in ASCII bytes is not UTF-16 (HTML spec).
            return Some(if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                encoding_rs::UTF_8
            } else {
                enc
            });
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_encodings_are_detected() {
        let (urdu_1256, _, _) = encoding_rs::WINDOWS_1256.encode(
            "پاکستان اور افغانستان کی سرحد پر فائرنگ کا تبادلہ ہوا اور دونوں ملکوں نے ایک دوسرے پر الزام لگایا",
        );
        let text = decode(&urdu_1256, Some("text/html"));
        assert!(text.contains("افغانستان"), "{text}");
        let (western, _, _) = encoding_rs::WINDOWS_1252
            .encode("The minister\u{2019}s \u{201c}final\u{201d} warning was d\u{e9}j\u{e0} vu for the caf\u{e9} owners.");
        assert!(decode(&western, None).contains("minister\u{2019}s \u{201c}final\u{201d}"));
        let urdu_utf8 = "سرحد پر جھڑپیں".as_bytes();
        assert_eq!(decode(urdu_utf8, Some("text/html")), "سرحد پر جھڑپیں");
    }

    #[test]
    fn decoding_order() {
        let cases: [(&[u8], Option<&str>, &str); 6] = [
            (b"plain", None, "plain"),
            (b"\xef\xbb\xbfbom", Some("text/html; charset=windows-1252"), "bom"),
            (b"caf\xe9", Some("text/html; charset=\"ISO-8859-1\""), "café"),
            (
                b"<meta charset=\"windows-1252\"><p>\x93quoted\x94</p>",
                None,
                "<meta charset=\"windows-1252\"><p>\u{201c}quoted\u{201d}</p>",
            ),
            (
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\xd8\xa7",
                None,
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\u{627}",
            ),
            (b"bad \xff byte", None, "bad \u{ff} byte"),
        ];
        for (bytes, ct, want) in cases {
            assert_eq!(decode(bytes, ct), want, "{ct:?}");
        }
    }
}
