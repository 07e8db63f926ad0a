package io.mooncake.autoconfigure;

import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/**
 * Builds the {@link EngineConfig} from {@link MooncakeProperties}: the system environment is applied
 * first (the engine keeps it for transport-specific {@code MC_*} knobs), then every property, then the
 * customizers; the engine's own validation runs last. Every failure names the property.
 */
final class MooncakeEngineConfigFactory {


    private final MooncakeProperties properties;

    private final Environment environment;

    private org.springframework.boot.ssl.SslBundles sslBundles;

    MooncakeEngineConfigFactory(MooncakeProperties properties, Environment environment) {
        this.properties = properties;
        this.environment = environment;
    }

    /** The environment handed to the engine, with mooncake.cxl.* over MC_CXL_DEV_PATH / MC_CXL_DEV_SIZE. */
    private static Map<String, String> withCxl(Map<String, String> env, MooncakeProperties.Cxl cxl) {
        if ((cxl.getDevicePath() == null || cxl.getDevicePath().isBlank()) && cxl.getDeviceSize() == null) {
            return env;
        }
        Map<String, String> m = new java.util.HashMap<>(env);
        if (cxl.getDevicePath() != null && !cxl.getDevicePath().isBlank()) {
            m.put("MC_CXL_DEV_PATH", cxl.getDevicePath().trim());
        }
        if (cxl.getDeviceSize() != null) {
            m.put("MC_CXL_DEV_SIZE", Long.toString(cxl.getDeviceSize().toBytes()));
        }
        return m;
    }

    EngineConfig create(Map<String, String> systemEnvironment, List<EngineConfigCustomizer> customizers) {
        MooncakeProperties p = this.properties;
        EngineConfig.Builder builder = EngineConfig.builder().environment(withCxl(systemEnvironment, p.getCxl()));
        PropertyMapper map = PropertyMapper.get();
        map.from(p::getLocalHostname).to(builder::localHostname);
        map.from(p::getMetadataServer).as(this::checkMetadataServer).to(builder::metadataServer);
        map.from(p::getProtocol).to((protocol) -> applyProtocol(builder, protocol));
        map.from(p::getDeviceName).to(builder::deviceName);
        map.from(p::getHandshakePort).to(builder::handshakePort);
        map.from(p::getTcpDataPort).to(builder::tcpDataPort);
        map.from(p::getRpcPortRange).to((range) -> builder.rpcPortRange(range.getMin(), range.getMax()));
        map.from(p::getBindAddress).to(builder::bindAddress);
        map.from(p.getAuth()::getSecret).whenHasText().to((secret) -> authSecret(builder, secret));
        if (p.getTls().isEnabled()) {
            tls(builder, p.getTls());
        }
        map.from(p::getIoThreads).to(builder::ioThreads);
        map.from(p::getConnectionsPerPeer).to(builder::connectionsPerPeer);
        map.from(p::getSliceSize).as((size) -> toInt("mooncake.slice-size", size)).to(builder::sliceSize);
        map.from(p::getSocketBufferSize).as((size) -> toInt("mooncake.socket-buffer-size", size))
            .to(builder::socketBufferSize);
        map.from(p::getTcp).to((tcp) -> builder.tcpServerLimits(new io.mooncake.engine.config.TcpServerLimits(
                tcp.getMaxInboundConnections(), tcp.getMaxInboundConnectionsPerAddress(), tcp.getIdleTimeout(),
                tcp.getBodyTimeout(), tcp.isResetOnPeerClose())));
        map.from(p::getTransferTimeout).to(builder::transferTimeout);
        map.from(p::getConnectTimeout).to(builder::connectTimeout);
        map.from(p::getHandshakeTimeout).to(builder::handshakeTimeout);
        map.from(p::getHandshakeMaxLength).as((size) -> toInt("mooncake.handshake-max-length", size))
            .to(builder::handshakeMaxLength);
        map.from(p::getNotifyQueueCapacity).to(builder::notifyQueueCapacity);
        map.from(p::getNotifyQueueMaxBytes).as(DataSize::toBytes).to(builder::notifyQueueMaxBytes);
        map.from(p::getTcpProtoVersion).to(builder::tcpProtoVersion);
        map.from(p::getClusterId).to(builder::clusterId);
        map.from(p::isFallbackToTcp).to(builder::fallbackToTcp);
        map.from(p::isForceTcp).to(builder::forceTcp);
        map.from(p::isForceHca).to(builder::forceHca);
        map.from(p::isForceMnnvl).to(builder::forceMnnvl);
        map.from(p::isIntranodeNvlink).to(builder::intranodeNvlink);
        map.from(p::getMetadataRefreshInterval).to(builder::metadataRefreshInterval);
        map.from(p::getMetadataTtl).to(builder::metadataTtl);
        map.from(p::getMasterServerAddress).whenHasText()
            .to((address) -> MooncakeMasterServer.parse("mooncake.master-server-address", address));
        customizers.forEach((customizer) -> customizer.customize(builder));
        try {
            return builder.build();
        } catch (MooncakeException ex) {
            throw translate(ex);
        }
    }

    /** Spring Boot's SSL bundles, for {@code mooncake.tls.bundle}; {@code null} when the application has none. */
    MooncakeEngineConfigFactory sslBundles(org.springframework.boot.ssl.SslBundles bundles) {
        this.sslBundles = bundles;
        return this;
    }

    /** TLS from an SSL bundle, or from the key store or PEM properties; errors name the property. */
    private void tls(EngineConfig.Builder builder, MooncakeProperties.Tls tls) {
        if (tls.getBundle() != null && !tls.getBundle().isBlank()) {
            if (this.sslBundles == null) {
                throw new InvalidConfigurationPropertyValueException("mooncake.tls.bundle", tls.getBundle(),
                        "No SSL bundles are configured in this application: define spring.ssl.bundle.pem."
                                + tls.getBundle() + ".* or spring.ssl.bundle.jks." + tls.getBundle()
                                + ".*, or use mooncake.tls.key-store / mooncake.tls.certificate.");
            }
            try {
                builder.tls(this.sslBundles.getBundle(tls.getBundle()).createSslContext());
            } catch (RuntimeException ex) {
                throw new InvalidConfigurationPropertyValueException("mooncake.tls.bundle", tls.getBundle(),
                        "Cannot use SSL bundle '" + tls.getBundle() + "': " + ex.getMessage());
            }
            return;
        }
        try {
            builder.tls(new io.mooncake.engine.security.TlsOptions(tls.getKeyStore(), tls.getKeyStorePassword(),
                    tls.getTrustStore(), tls.getTrustStorePassword(), tls.getCertificate(), tls.getPrivateKey(),
                    tls.getTrustCertificates()));
        } catch (MooncakeException ex) {
            String message = ex.getMessage();
            String property = message.startsWith("mooncake.tls") ? message.substring(0, message.indexOf(' '))
                    : "mooncake.tls.enabled";
            throw new InvalidConfigurationPropertyValueException(property,
                    property.endsWith("password") ? "******" : String.valueOf(valueOf(tls, property)), message);
        }
    }

    private static Object valueOf(MooncakeProperties.Tls tls, String property) {
        return switch (property) {
            case "mooncake.tls.key-store" -> tls.getKeyStore();
            case "mooncake.tls.trust-store" -> tls.getTrustStore();
            case "mooncake.tls.certificate" -> tls.getCertificate();
            case "mooncake.tls.private-key" -> tls.getPrivateKey();
            case "mooncake.tls.trust-certificates" -> tls.getTrustCertificates();
            default -> "true";
        };
    }

    /** The secret's value is never part of the error: only its origin and length. */
    private void authSecret(EngineConfig.Builder builder, String secret) {
        try {
            builder.authSecret(io.mooncake.engine.security.SharedSecret.of(secret, "mooncake.auth.secret"));
        } catch (MooncakeException ex) {
            throw new InvalidConfigurationPropertyValueException("mooncake.auth.secret", "******", ex.getMessage());
        }
    }

    private String checkMetadataServer(String value) {
        try {
            MetadataConnection.parse(value);
            return value;
        } catch (MooncakeException ex) {
            throw new InvalidConfigurationPropertyValueException("mooncake.metadata-server", value, ex.getMessage());
        }
    }

    private void applyProtocol(EngineConfig.Builder builder, String protocol) {
        try {
            builder.protocol(protocol);
            java.util.Set<String> loaded = io.mooncake.engine.transport.TransportProviders
                .protocols(MooncakeEngineConfigFactory.class.getClassLoader());
            for (String name : protocol.split(",")) {
                String p = io.mooncake.engine.api.Protocol.checkName(name);
                if (!loaded.contains(p) && !io.mooncake.engine.api.Protocol.isWellKnown(p)) {
                    java.util.Set<String> others = new java.util.TreeSet<>(loaded);
                    for (io.mooncake.engine.api.Protocol known : io.mooncake.engine.api.Protocol.values()) {
                        others.remove(known.id());
                    }
                    throw new MooncakeException(io.mooncake.engine.api.ErrorCode.INVALID_ARGUMENT,
                            "unknown protocol '" + p + "'; valid protocols are: "
                                    + io.mooncake.engine.api.Protocol.validNames()
                                    + (others.isEmpty() ? "" : ", and those of the transports on the class path: "
                                            + String.join(", ", others)));
                }
            }
        } catch (MooncakeException ex) {
            throw new InvalidMooncakeProtocolException("mooncake.protocol", protocol,
                    PropertyOrigins.of(this.environment, "mooncake.protocol"), ex);
        }
    }

    private static int toInt(String property, DataSize size) {
        if (size.toBytes() < 0 || size.toBytes() > Integer.MAX_VALUE) {
            throw new InvalidConfigurationPropertyValueException(property, size,
                    "Must be from 0 to " + Integer.MAX_VALUE + " bytes.");
        }
        return (int) size.toBytes();
    }

    /** The engine's validation names its field ({@code sliceSize}); report it as the property. */
    private static RuntimeException translate(MooncakeException ex) {
        if (ex instanceof InvalidConfigurationException invalid) {
            String property = "mooncake." + invalid.field().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            return new InvalidConfigurationPropertyValueException(property, invalid.value(), ex.getMessage());
        }
        return ex;
    }
}
