//! TLS for benchplan's wire clients (PostgreSQL, MySQL) where the
//! connection's mode verifies nothing (PostgreSQL's `prefer`, `allow`,
//! `sslmode=require`; MySQL's `PREFERRED`, `REQUIRED`: libpq's, libmysql's
//! and sqlx's meaning), over rustls with ring, the binary's one TLS stack.
//! Modes that verify the certificate (`tls: require`, `verify-full`) stay
//! on sqlx.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

pub type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// TLS on a wire client's connection, never verifying the server's certificate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tls {
    Off,
    /// TLS when the server offers it.
    Prefer,
    /// TLS, or no connection.
    Require,
}

/// A URL's password as it was before percent-encoding.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Performs the handshake on `tcp` after the server agreed to TLS.
pub async fn handshake(tcp: tokio::net::TcpStream, host: &str) -> Result<TlsStream, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| format!("TLS: server name {host:?}: {e}"))?;
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))
}

/// Accepts any certificate (the connection is encrypted, its peer not
/// authenticated), but checks the handshake's signatures.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
