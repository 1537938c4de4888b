//! The connection phase of MySQL's protocol: the server's greeting
//! (protocol 10), TLS if wanted (an SSL request, then the TLS handshake),
//! the answer with the user's credentials (HandshakeResponse41), then the
//! authentication plugin's exchange, as sqlx does it.

use super::{auth, err_packet, params, tls, u16_at, Conn, Failure, Stream, Target, Tls};

// Capability flags (https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html).
const FOUND_ROWS: u32 = 0x2;
const CONNECT_WITH_DB: u32 = 0x8;
const IGNORE_SPACE: u32 = 0x100;
const PROTOCOL_41: u32 = 0x200;
const SSL: u32 = 0x800;
const TRANSACTIONS: u32 = 0x2000;
const SECURE_CONNECTION: u32 = 0x8000;
const MULTI_STATEMENTS: u32 = 0x1_0000;
const MULTI_RESULTS: u32 = 0x2_0000;
const PS_MULTI_RESULTS: u32 = 0x4_0000;
const PLUGIN_AUTH: u32 = 0x8_0000;
const PLUGIN_AUTH_LENENC_DATA: u32 = 0x20_0000;
const DEPRECATE_EOF: u32 = 0x100_0000;
/// The capabilities sqlx asks for, and the wire client with it.
const WANTED: u32 = PROTOCOL_41
    | IGNORE_SPACE
    | DEPRECATE_EOF
    | FOUND_ROWS
    | TRANSACTIONS
    | SECURE_CONNECTION
    | PLUGIN_AUTH_LENENC_DATA
    | MULTI_STATEMENTS
    | MULTI_RESULTS
    | PLUGIN_AUTH
    | PS_MULTI_RESULTS;
/// utf8mb4_general_ci, the character set sqlx opens connections with.
const CHARSET: u8 = 45;

impl Conn {
    /// The connection phase: the server's greeting, TLS if wanted, the
    /// answer with the user's credentials, then the plugin's exchange.
    pub(super) async fn handshake(&mut self, t: &Target) -> Result<(), Failure> {
        let greeting = self.packet().await?;
        let g = Greeting::parse(&self.io.rbuf[greeting]).map_err(Failure::Protocol)?;
        let mut caps = WANTED & g.capabilities;
        caps |= PROTOCOL_41;
        if t.database.is_some() {
            caps |= CONNECT_WITH_DB & g.capabilities;
        }
        let want_tls = t.tls != Tls::Off && t.socket.is_none();
        if want_tls && g.capabilities & SSL != 0 {
            caps |= SSL;
            let mut head = Vec::with_capacity(32);
            fixed_part(&mut head, caps);
            self.send(&head);
            self.io.flush().await?;
            let Stream::Tcp(tcp) = std::mem::replace(&mut self.io.stream, Stream::Closed) else {
                return Err(Failure::Protocol("TLS on a connection that is not TCP".into()));
            };
            self.io.stream = Stream::Tls(Box::new(tls::handshake(tcp, &t.host).await.map_err(Failure::Protocol)?));
        } else if t.tls == Tls::Require && t.socket.is_none() {
            return Err(Failure::Protocol("the server does not offer TLS, which the connection requires".into()));
        }
        self.deprecate_eof = caps & DEPRECATE_EOF != 0;
        let is_tls = matches!(self.io.stream, Stream::Tls(_));
        // Where the password itself may go: over TLS, or a Unix socket (as libmysqlclient).
        let private = is_tls || t.socket.is_some();
        let mut plugin = g.plugin;
        let mut nonce = g.nonce;
        let answer = auth::scramble(&plugin, &t.password, &nonce).map_err(Failure::Protocol)?;
        let mut m = Vec::with_capacity(128);
        fixed_part(&mut m, caps);
        m.extend_from_slice(t.user.as_bytes());
        m.push(0);
        if caps & PLUGIN_AUTH_LENENC_DATA != 0 {
            params::lenenc(&mut m, answer.len() as u64);
        } else {
            m.push(u8::try_from(answer.len()).map_err(|_| Failure::Protocol("authentication answer too long".into()))?);
        }
        m.extend_from_slice(&answer);
        if let (Some(db), true) = (&t.database, caps & CONNECT_WITH_DB != 0) {
            m.extend_from_slice(db.as_bytes());
            m.push(0);
        }
        if caps & PLUGIN_AUTH != 0 {
            m.extend_from_slice(plugin.as_bytes());
            m.push(0);
        }
        self.send(&m);
        self.io.flush().await?;
        loop {
            let r = self.packet().await?;
            let body = &self.io.rbuf[r];
            match body.first() {
                Some(0x00) => return Ok(()),
                Some(0xff) => return Err(err_packet(body)),
                // AuthSwitchRequest: another plugin, another nonce.
                Some(0xfe) => {
                    let rest = &body[1..];
                    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                    plugin = String::from_utf8_lossy(&rest[..end]).into_owned();
                    let data = rest.get(end + 1..).unwrap_or_default();
                    nonce = data.strip_suffix(&[0]).unwrap_or(data).to_vec();
                    let answer = auth::scramble(&plugin, &t.password, &nonce).map_err(Failure::Protocol)?;
                    self.send(&answer);
                    self.io.flush().await?;
                }
                // caching_sha2_password: 3 = the fast check passed (an OK
                // follows), 4 = the server wants the password itself.
                Some(0x01) if plugin == "caching_sha2_password" => match body.get(1) {
                    Some(3) => {}
                    Some(4) if private => {
                        self.send(&auth::nul_terminated(&t.password));
                        self.io.flush().await?;
                    }
                    Some(4) => {
                        return Err(Failure::Protocol(
                            "caching_sha2_password wants the password itself, which needs TLS or a Unix socket (or RSA, which this build has not)".into(),
                        ))
                    }
                    other => return Err(Failure::Protocol(format!("unexpected caching_sha2_password state {other:?}"))),
                },
                other => return Err(Failure::Protocol(format!("unexpected packet {other:?} during authentication"))),
            }
        }
    }
}

/// The first 32 bytes of the handshake answer (all of an SSL request):
/// capabilities, largest packet, character set, 23 zeros.
fn fixed_part(out: &mut Vec<u8>, caps: u32) {
    out.extend_from_slice(&caps.to_le_bytes());
    out.extend_from_slice(&(1u32 << 24).to_le_bytes());
    out.push(CHARSET);
    out.extend_from_slice(&[0; 23]);
}

/// What the server's greeting (protocol 10) says.
struct Greeting {
    capabilities: u32,
    nonce: Vec<u8>,
    plugin: String,
}

impl Greeting {
    fn parse(b: &[u8]) -> Result<Greeting, String> {
        let short = || "a short greeting".to_string();
        match b.first() {
            Some(10) => {}
            Some(0xff) => return Err(err_packet(b).text()),
            other => return Err(format!("protocol version {other:?} (10 expected)")),
        }
        let version_end = 1 + b[1..].iter().position(|c| *c == 0).ok_or_else(short)?;
        let mut at = version_end + 1 + 4;
        let mut nonce = b.get(at..at + 8).ok_or_else(short)?.to_vec();
        at += 9;
        let low = u16_at(b, at);
        let (high, data_len) = if b.len() > at + 2 { (u16_at(b, at + 5), b.get(at + 7).copied().unwrap_or(0)) } else { (0, 0) };
        let capabilities = u32::from(low) | u32::from(high) << 16;
        at += 2 + 1 + 2 + 2 + 1 + 10;
        if capabilities & SECURE_CONNECTION != 0 {
            let n = (usize::from(data_len).saturating_sub(8)).max(13);
            let part = b.get(at..(at + n).min(b.len())).ok_or_else(short)?;
            nonce.extend_from_slice(part.strip_suffix(&[0]).unwrap_or(part));
            at += n;
        }
        let plugin = if capabilities & PLUGIN_AUTH != 0 {
            let rest = b.get(at..).unwrap_or_default();
            let end = rest.iter().position(|c| *c == 0).unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..end]).into_owned()
        } else {
            "mysql_native_password".into()
        };
        Ok(Greeting { capabilities, nonce, plugin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MariaDB 10.11's greeting, as this machine's server sent it.
    #[test]
    fn a_greeting_gives_capabilities_nonce_and_plugin() {
        let mut g = vec![10];
        g.extend_from_slice(b"5.5.5-10.11.19-MariaDB\0");
        g.extend_from_slice(&7u32.to_le_bytes());
        g.extend_from_slice(b"ABCDEFGH\0");
        g.extend_from_slice(&0xf7feu16.to_le_bytes());
        g.push(45);
        g.extend_from_slice(&2u16.to_le_bytes());
        g.extend_from_slice(&0x81ffu16.to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(b"IJKLMNOPQRST\0mysql_native_password\0");
        let p = Greeting::parse(&g).unwrap();
        assert_eq!(p.nonce, b"ABCDEFGHIJKLMNOPQRST");
        assert_eq!(p.plugin, "mysql_native_password");
        assert_eq!(p.capabilities & (PLUGIN_AUTH | SECURE_CONNECTION | PROTOCOL_41), PLUGIN_AUTH | SECURE_CONNECTION | PROTOCOL_41);
        assert!(Greeting::parse(&g[..12]).is_err());
    }
}
