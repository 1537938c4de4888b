//! Password authentication of the wire client: cleartext, MD5 and
//! SCRAM-SHA-256 (RFC 5802/7677, without channel binding: the client runs
//! on connections without TLS only).

use base64::prelude::{Engine as _, BASE64_STANDARD};
use crate::scenario::hex;
use sha2::{Digest, Sha256};

/// `md5` + hex(md5(hex(md5(password + user)) + salt)), as the server wants it.
pub fn md5_response(user: &str, password: &str, salt: &[u8]) -> String {
    use md5::Digest as _;
    let inner = hex(&md5::Md5::digest([password.as_bytes(), user.as_bytes()].concat()));
    format!("md5{}", hex(&md5::Md5::digest([inner.as_bytes(), salt].concat())))
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| k.map(|b| b ^ x);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA256 with one block: SCRAM's Hi().
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut u = hmac(password, &[salt, &1u32.to_be_bytes()]);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &[&u]);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

/// One SCRAM-SHA-256 exchange, from the client's first message to checking the server's signature.
pub struct Scram {
    nonce: String,
    first_bare: String,
    server_signature: Option<[u8; 32]>,
}

impl Scram {
    pub fn new() -> Self {
        use rand::RngExt;
        let mut rng = rand::rng();
        let nonce: String = (0..24).map(|_| char::from(rng.random_range(b'0'..=b'z'))).filter(|c| c.is_ascii_alphanumeric()).collect();
        // The user name is the startup message's; the server ignores this one.
        Scram { first_bare: format!("n=,r={nonce}"), nonce, server_signature: None }
    }

    /// The client-first-message.
    pub fn first(&self) -> String {
        format!("n,,{}", self.first_bare)
    }

    /// The client-final-message for the server-first-message.
    pub fn last(&mut self, password: &str, server_first: &str) -> Result<String, String> {
        let attr = |k: &str| server_first.split(',').find_map(|a| a.strip_prefix(k)).ok_or_else(|| format!("SCRAM: the server's message has no {k}"));
        let nonce = attr("r=")?;
        if !nonce.starts_with(&self.nonce) {
            return Err("SCRAM: the server's nonce does not extend the client's".into());
        }
        let salt = BASE64_STANDARD.decode(attr("s=")?).map_err(|e| format!("SCRAM: salt: {e}"))?;
        let iterations: u32 = attr("i=")?.parse().map_err(|e| format!("SCRAM: iterations: {e}"))?;
        if !(1..=10_000_000).contains(&iterations) {
            return Err(format!("SCRAM: {iterations} iterations"));
        }
        let salted = hi(password.as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, &[b"Client Key"]);
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.first_bare);
        let signature = hmac(&stored_key, &[auth_message.as_bytes()]);
        let proof: Vec<u8> = client_key.iter().zip(signature).map(|(a, b)| a ^ b).collect();
        let server_key = hmac(&salted, &[b"Server Key"]);
        self.server_signature = Some(hmac(&server_key, &[auth_message.as_bytes()]));
        Ok(format!("{without_proof},p={}", BASE64_STANDARD.encode(proof)))
    }

    /// Checks the server-final-message: the server knew the password too.
    pub fn verify(&self, server_final: &str) -> Result<(), String> {
        let v = server_final.split(',').find_map(|a| a.strip_prefix("v=")).ok_or("SCRAM: the server's final message has no signature")?;
        let got = BASE64_STANDARD.decode(v).map_err(|e| format!("SCRAM: signature: {e}"))?;
        match self.server_signature {
            Some(want) if got == want => Ok(()),
            _ => Err("SCRAM: the server's signature does not match".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (HMAC-SHA-256).
    #[test]
    fn hmac_matches_the_rfc() {
        let mac = hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    /// RFC 7677's example exchange (user "user", password "pencil").
    #[test]
    fn scram_matches_the_rfc_example() {
        let mut s = Scram { nonce: "rOprNGfwEbeRWgbNEkqO".into(), first_bare: "n=user,r=rOprNGfwEbeRWgbNEkqO".into(), server_signature: None };
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let last = s.last("pencil", server_first).unwrap();
        assert_eq!(last, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        s.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").unwrap();
        assert!(s.verify("v=AAAA").is_err());
    }

    #[test]
    fn md5_is_the_servers_form() {
        // md5(md5("secret" + "bob") as hex + salt)
        assert_eq!(md5_response("bob", "secret", &[1, 2, 3, 4]), "md5f21dfe33ff3a9e03dbc3e008251fe5cc");
    }
}
