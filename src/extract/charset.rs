//! Bytes → text: the byte-order mark, then the `Content-Type` charset, then `<meta charset>` in the
//! first kilobytes, then UTF-8 (invalid bytes replaced, never an error).

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
        .unwrap_or(encoding_rs::UTF_8);
    // `decode` strips a BOM matching the encoding and replaces malformed sequences.
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
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
            (b"bad \xff byte", None, "bad \u{fffd} byte"),
        ];
        for (bytes, ct, want) in cases {
            assert_eq!(decode(bytes, ct), want, "{ct:?}");
        }
    }
}
