//! The answers to MySQL's authentication plugins the wire client speaks:
//! `mysql_native_password` (SHA-1 scramble) and `caching_sha2_password`
//! (its SHA-256 scramble; the full exchange sends the password itself, over
//! TLS or a Unix socket only), as sqlx does. `mysql_clear_password` is
//! refused, as sqlx refuses it unless told otherwise: over TLS that
//! verifies no certificate, anyone in the middle could ask for it.

/// The plugin's first answer to the server's 20-byte `nonce`; Err for a
/// plugin the wire client does not speak.
pub fn scramble(plugin: &str, password: &str, nonce: &[u8]) -> Result<Vec<u8>, String> {
    match plugin {
        "mysql_native_password" | "caching_sha2_password" if password.is_empty() => Ok(Vec::new()),
        "mysql_native_password" => Ok(native(password, nonce).to_vec()),
        "caching_sha2_password" => Ok(sha256(password, nonce).to_vec()),
        "mysql_clear_password" => Err("the server asks for the password in clear (mysql_clear_password), which the wire client refuses".into()),
        other => Err(format!("authentication plugin {other} is not supported by the wire client")),
    }
}

/// The password with a NUL after it (caching_sha2_password's full exchange over TLS or a socket).
pub fn nul_terminated(password: &str) -> Vec<u8> {
    let mut p = password.as_bytes().to_vec();
    p.push(0);
    p
}

/// SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))).
fn native(password: &str, nonce: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    let hash: [u8; 20] = Sha1::digest(password.as_bytes()).into();
    let hash2: [u8; 20] = Sha1::digest(hash).into();
    let mut ctx = Sha1::new();
    ctx.update(nonce);
    ctx.update(hash2);
    let mix: [u8; 20] = ctx.finalize().into();
    xor(hash, &mix)
}

/// SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce).
fn sha256(password: &str, nonce: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let hash: [u8; 32] = Sha256::digest(password.as_bytes()).into();
    let hash2: [u8; 32] = Sha256::digest(hash).into();
    let mut ctx = Sha256::new();
    ctx.update(hash2);
    ctx.update(nonce);
    let mix: [u8; 32] = ctx.finalize().into();
    xor(hash, &mix)
}

fn xor<const N: usize>(mut a: [u8; N], b: &[u8; N]) -> [u8; N] {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's check of mysql_native_password: SHA1(nonce + stored)
    /// XOR the answer gives SHA1(password), whose SHA1 is the stored hash.
    #[test]
    fn the_native_scramble_is_what_the_server_checks() {
        use sha1::{Digest, Sha1};
        let nonce = *b"abcdefghijklmnopqrst";
        let answer = native("secret", &nonce);
        let stored: [u8; 20] = Sha1::digest(Sha1::digest(b"secret")).into();
        let mut ctx = Sha1::new();
        ctx.update(nonce);
        ctx.update(stored);
        let mix: [u8; 20] = ctx.finalize().into();
        let recovered = xor(answer, &mix);
        assert_eq!(<[u8; 20]>::from(Sha1::digest(recovered)), stored);
        // `SELECT PASSWORD('secret')` (MariaDB) is `*` and this stored hash in hex.
        assert_eq!(crate::scenario::hex(&stored).to_uppercase(), "14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
    }

    #[test]
    fn an_empty_password_answers_nothing_and_unknown_plugins_are_named() {
        assert_eq!(scramble("mysql_native_password", "", b"n").unwrap(), Vec::<u8>::new());
        assert_eq!(scramble("caching_sha2_password", "pw", &[7; 20]).unwrap().len(), 32);
        // Never the password in clear, with or without one.
        assert!(scramble("mysql_clear_password", "pw", b"").unwrap_err().contains("refuses"));
        assert!(scramble("mysql_clear_password", "", b"").is_err());
        assert!(scramble("client_ed25519", "pw", b"").unwrap_err().contains("client_ed25519"));
    }
}
