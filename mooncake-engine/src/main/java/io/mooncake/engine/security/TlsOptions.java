package io.mooncake.engine.security;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where this node's TLS key, certificate and trusted certificates come from ({@code mooncake.tls.*},
 * {@code MOONCAKE_TLS_*}): a key store (PKCS12 or JKS), or PEM files. Every node presents its
 * certificate and accepts a peer only when the peer's chains to a trusted certificate (mutual TLS);
 * host names are not checked, since peers connect by pod and node addresses that change: use a CA
 * of your own for the cluster. Passwords are kept out of {@link #toString()}.
 *
 * @param keyStore a PKCS12 or JKS file with this node's private key and certificate chain
 * @param keyStorePassword its password ({@code null}: none)
 * @param trustStore a PKCS12 or JKS file of trusted certificates; {@code null}: the key store's
 *        own certificates are trusted (a cluster-wide key store), or with PEM the trust certificates
 * @param trustStorePassword its password
 * @param certificate a PEM file with this node's certificate chain (instead of a key store)
 * @param privateKey a PEM file with its unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY})
 * @param trustCertificates a PEM file of trusted (CA) certificates
 */
public record TlsOptions(String keyStore, String keyStorePassword, String trustStore, String trustStorePassword,
        String certificate, String privateKey, String trustCertificates) {

    /** Key store material. */
    public static TlsOptions keyStore(String keyStore, String password, String trustStore, String trustPassword) {
        return new TlsOptions(keyStore, password, trustStore, trustPassword, null, null, null);
    }

    /** PEM material. */
    public static TlsOptions pem(String certificate, String privateKey, String trustCertificates) {
        return new TlsOptions(null, null, null, null, certificate, privateKey, trustCertificates);
    }

    /**
     * Loads the material and builds the TLS context.
     *
     * @throws MooncakeException naming the property, the file and the fix
     */
    public SSLContext createContext() {
        boolean noStore = blank(keyStore) == null;
        boolean pem = blank(certificate) != null || blank(privateKey) != null;
        if (!noStore && pem) {
            throw invalid("mooncake.tls.key-store", "and mooncake.tls.certificate are both set; set either a key "
                    + "store or PEM files (certificate, private-key, trust-certificates), not both");
        }
        if (noStore && !pem) {
            throw invalid("mooncake.tls", "is enabled without key material; set mooncake.tls.key-store "
                    + "(MOONCAKE_TLS_KEY_STORE, a PKCS12 file with this node's key and certificate) or "
                    + "mooncake.tls.certificate and mooncake.tls.private-key (PEM files)");
        }
        try {
            KeyStore keys;
            char[] keyPassword;
            KeyStore trust;
            if (!noStore) {
                keyPassword = chars(keyStorePassword);
                keys = load(keyStore, keyStorePassword, "mooncake.tls.key-store", "mooncake.tls.key-store-password");
                trust = blank(trustStore) == null ? keys
                        : load(trustStore, trustStorePassword, "mooncake.tls.trust-store",
                                "mooncake.tls.trust-store-password");
            } else {
                if (blank(certificate) == null || blank(privateKey) == null) {
                    throw invalid(blank(certificate) == null ? "mooncake.tls.certificate" : "mooncake.tls.private-key",
                            "is not set; PEM material needs both mooncake.tls.certificate (the chain) and "
                                    + "mooncake.tls.private-key (its PKCS#8 key)");
                }
                if (blank(trustCertificates) == null) {
                    throw invalid("mooncake.tls.trust-certificates", "is not set; with PEM files name the CA "
                            + "certificate(s) that signed the peers' certificates");
                }
                List<Certificate> chain = certificates(certificate, "mooncake.tls.certificate");
                PrivateKey key = key(privateKey);
                keyPassword = new char[0];
                keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("mooncake", key, keyPassword, chain.toArray(new Certificate[0]));
                trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(trustCertificates, "mooncake.tls.trust-certificates")) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
            }
            if (!hasKey(keys)) {
                throw invalid("mooncake.tls.key-store", "'" + keyStore + "' holds no private key entry; it must hold "
                        + "this node's private key with its certificate chain");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, keyPassword);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "cannot set up TLS (mooncake.tls): " + e, e);
        }
    }

    private static boolean hasKey(KeyStore ks) throws GeneralSecurityException {
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return true;
            }
        }
        return false;
    }

    private static KeyStore load(String file, String password, String property, String passwordProperty) {
        Path p = Path.of(file);
        String type = file.toLowerCase(java.util.Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
        try (InputStream in = Files.newInputStream(p)) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, chars(password));
            return ks;
        } catch (NoSuchFileException e) {
            throw invalid(property, "names '" + file + "', which does not exist; point it at a " + type + " file");
        } catch (IOException e) {
            if (e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password")) {
                throw invalid(passwordProperty, "does not open " + property + " '" + file + "' (" + e.getMessage()
                        + "); set the store's password");
            }
            throw invalid(property, "'" + file + "' cannot be read as " + type + ": " + e.getMessage()
                    + "; give a PKCS12 (.p12) or JKS (.jks) file");
        } catch (GeneralSecurityException e) {
            throw invalid(property, "'" + file + "' cannot be read as " + type + ": " + e.getMessage());
        }
    }

    private static List<Certificate> certificates(String file, String property) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            List<Certificate> out = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (out.isEmpty()) {
                throw invalid(property, "'" + file + "' holds no certificate; give PEM certificates "
                        + "(-----BEGIN CERTIFICATE-----)");
            }
            return out;
        } catch (NoSuchFileException e) {
            throw invalid(property, "names '" + file + "', which does not exist");
        } catch (IOException | GeneralSecurityException e) {
            throw invalid(property, "'" + file + "' is not a PEM certificate file: " + e.getMessage());
        }
    }

    private static PrivateKey key(String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw invalid("mooncake.tls.private-key", "names '" + file + "', which does not exist");
        } catch (IOException e) {
            throw invalid("mooncake.tls.private-key", "'" + file + "' cannot be read: " + e.getMessage());
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw invalid("mooncake.tls.private-key", "'" + file + "' is not an unencrypted PKCS#8 PEM key "
                    + "(-----BEGIN PRIVATE KEY-----); convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem "
                    + "-out key-pkcs8.pem");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw invalid("mooncake.tls.private-key", "'" + file + "' holds a key of none of RSA, EC, Ed25519");
    }

    private static MooncakeException invalid(String property, String what) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, property + " " + what);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static char[] chars(String password) {
        return password == null ? new char[0] : password.toCharArray();
    }

    @Override
    public String toString() {
        return "TlsOptions[keyStore=" + keyStore + ", trustStore=" + trustStore + ", certificate=" + certificate
                + ", privateKey=" + privateKey + ", trustCertificates=" + trustCertificates + ", passwords redacted]";
    }
}
