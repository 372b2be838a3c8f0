//! Just enough certificate reading to check a gateway credential: base64, PEM, and the
//! validity period of an X.509 certificate (DER). No signature checks.

use std::time::{SystemTime, UNIX_EPOCH};

/// Standard base64 (padding optional, whitespace ignored); `None` when malformed.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buf >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The DER bytes of the first PEM block whose label ends with `label_suffix`
/// (e.g. `CERTIFICATE`, `PRIVATE KEY`).
pub(crate) fn pem_block(text: &str, label_suffix: &str) -> Option<Vec<u8>> {
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN ") {
        let after = &rest[at + 11..];
        let end_label = after.find("-----")?;
        let label = &after[..end_label];
        let body = &after[end_label + 5..];
        let end = body.find("-----END ")?;
        if label.ends_with(label_suffix) {
            return base64_decode(&body[..end]).filter(|b| !b.is_empty());
        }
        rest = &body[end..];
    }
    None
}

/// One DER element: `(tag, contents, rest)`.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An ASN.1 UTCTime or GeneralizedTime as seconds since the epoch.
fn asn1_time(tag: u8, v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.trim_end_matches('Z');
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| -> Option<i64> { rest.get(r)?.parse().ok() };
    let (mo, d, h, mi) = (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?);
    let sec = num(8..10).unwrap_or(0);
    Some(days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// `notAfter` of a DER certificate, in seconds since the epoch.
pub(crate) fn not_after(cert_der: &[u8]) -> Option<i64> {
    let (_, cert, _) = der(cert_der).filter(|(t, _, _)| *t == 0x30)?;
    let (_, tbs, _) = der(cert).filter(|(t, _, _)| *t == 0x30)?;
    let mut rest = tbs;
    // Optional [0] version.
    if rest.first() == Some(&0xa0) {
        rest = der(rest)?.2;
    }
    // serialNumber, signature, issuer.
    for _ in 0..3 {
        rest = der(rest)?.2;
    }
    let (_, validity, _) = der(rest).filter(|(t, _, _)| *t == 0x30)?;
    let (_, _, after_not_before) = der(validity)?;
    let (tag, v, _) = der(after_not_before)?;
    asn1_time(tag, v)
}

/// What is wrong with a certificate and key pair (both PEM), if anything.
pub(crate) fn credential_problem(cert_pem: &str, key_pem: &str) -> Option<String> {
    let Some(cert) = pem_block(cert_pem, "CERTIFICATE") else {
        return Some("the certificate is not a PEM certificate".into());
    };
    if pem_block(key_pem, "PRIVATE KEY").is_none() {
        return Some("the key is not a PEM private key".into());
    }
    let Some(expiry) = not_after(&cert) else {
        return Some("the certificate cannot be parsed".into());
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    (expiry < now).then(|| "the certificate has expired".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_dates() {
        assert_eq!(base64_decode("aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(base64_decode("aGk").as_deref(), Some(&b"hi"[..]));
        assert!(base64_decode("a*b").is_none());
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(asn1_time(0x17, b"700101000010Z"), Some(10));
        assert_eq!(asn1_time(0x18, b"20000301000000Z"), Some(951_868_800));
        assert!(not_after(b"\x30\x03\x02\x01\x01").is_none());
        assert!(credential_problem("hush", "hush").is_some());
    }
}
