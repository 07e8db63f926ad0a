package io.mooncake.autoconfigure;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.LocalBuffer;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.PortInUseException;
import io.mooncake.engine.api.TransferEngine;
import io.mooncake.engine.config.EngineConfig;
import io.mooncake.engine.metadata.MetadataConnection;
import io.mooncake.engine.metadata.MetadataUnavailableException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/**
 * Checks made before the engine starts, so that the common mistakes fail with a report naming
 * the property, and translation of the engine's own startup failures into the same reports.
 */
final class StartupChecks {

    private static final Pattern HOST_PORT = Pattern.compile("(\\[[^\\]]+\\]|[^:\\[\\]]+):(\\d{1,5})");

    private final Environment environment;

    StartupChecks(Environment environment) {
        this.environment = environment;
    }

    /**
     * Fails when the metadata URL needs a client library the application does not have (jetcd for
     * etcd, Lettuce for Redis: optional, activated by their presence).
     */
    void checkMetadataClientPresent(EngineConfig config, ClassLoader classLoader) {
        MetadataConnection connection = MetadataConnection.parse(config.metadataServer());
        String dependency = switch (connection.scheme()) {
            case "etcd" -> org.springframework.util.ClassUtils.isPresent("io.etcd.jetcd.Client", classLoader) ? null
                    : "io.etcd:jetcd-core";
            case "redis" -> org.springframework.util.ClassUtils.isPresent("io.lettuce.core.RedisClient", classLoader)
                    ? null : "io.lettuce:lettuce-core";
            default -> null;
        };
        if (dependency != null) {
            throw new MetadataClientMissingException("mooncake.metadata-server", config.metadataServer(),
                    origin("mooncake.metadata-server"), dependency);
        }
    }

    /** Fails when no endpoint of a non-P2P metadata server accepts a TCP connection. */
    void checkMetadataServerReachable(EngineConfig config) {
        MetadataConnection connection = MetadataConnection.parse(config.metadataServer());
        if (connection.isP2p()) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (InetSocketAddress address : endpoints(connection)) {
            try (Socket socket = new Socket()) {
                socket.connect(address, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
                return;
            } catch (IOException ex) {
                failures.add(address.getHostString() + ":" + address.getPort() + " (" + ex.getMessage() + ")");
            }
        }
        throw new MetadataServerUnreachableException("mooncake.metadata-server", config.metadataServer(),
                origin("mooncake.metadata-server"), "no connection to " + String.join(", ", failures), null);
    }

    private static List<InetSocketAddress> endpoints(MetadataConnection connection) {
        List<InetSocketAddress> result = new ArrayList<>();
        for (String endpoint : connection.endpoints()) {
            if (connection.scheme().startsWith("http")) {
                URI uri = URI.create(endpoint);
                int port = (uri.getPort() != -1) ? uri.getPort() : ("https".equals(uri.getScheme()) ? 443 : 80);
                result.add(InetSocketAddress.createUnresolved(uri.getHost(), port));
            } else {
                Matcher m = HOST_PORT.matcher(endpoint);
                if (m.matches()) {
                    String host = m.group(1).replace("[", "").replace("]", "");
                    result.add(InetSocketAddress.createUnresolved(host, Integer.parseInt(m.group(2))));
                }
            }
        }
        return result.stream().map((a) -> new InetSocketAddress(a.getHostString(), a.getPort())).toList();
    }

    /** Fails when a fixed port the engine will listen on is taken. */
    void checkPortsFree(EngineConfig config) {
        for (Map.Entry<String, Integer> port : fixedPorts(config).entrySet()) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind((config.bindAddress() != null) ? new InetSocketAddress(config.bindAddress(), port.getValue())
                        : new InetSocketAddress(port.getValue()));
            } catch (BindException ex) {
                throw new MooncakePortInUseException(port.getKey(), port.getValue(), origin(port.getKey()), ex);
            } catch (IOException ex) {
                // not a port conflict; the engine reports it
            }
        }
    }

    private static Map<String, Integer> fixedPorts(EngineConfig config) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        if (config.handshakePort() != 0) {
            ports.put("mooncake.handshake-port", config.handshakePort());
        } else {
            Matcher m = HOST_PORT.matcher(config.localHostname());
            if (m.matches()) {
                ports.put("mooncake.local-hostname", Integer.parseInt(m.group(2)));
            }
        }
        if (config.tcpDataPort() != 0) {
            ports.put("mooncake.tcp-data-port", config.tcpDataPort());
        }
        return ports;
    }

    /**
     * Fails when {@code size} cannot fit in this host's memory: allocating and zeroing more than exists
     * would get the process killed rather than fail.
     */
    void checkFitsInMemory(String property, DataSize size) {
        if (size == null || size.toBytes() <= 0) {
            throw new InvalidConfigurationPropertyValueException(property, size,
                    "Must be a positive size such as 512MB; remove the property to allocate nothing.");
        }
        long total = totalMemory();
        if (total > 0 && size.toBytes() > total) {
            throw new SegmentAllocationException(property, size, origin(property),
                    "it exceeds this host's total memory of " + Sizes.format(total), null);
        }
    }

    /** Allocates and registers a buffer, reporting failures against {@code property}. */
    LocalBuffer allocate(TransferEngine engine, String property, DataSize size, String location) {
        checkFitsInMemory(property, size);
        try {
            return engine.allocateBuffer(size.toBytes(), location);
        } catch (OutOfMemoryError | MooncakeException ex) {
            throw new SegmentAllocationException(property, size, origin(property), ex.toString(), ex);
        }
    }

    /** Turns the engine's startup failures into reports naming the property; others pass unchanged. */
    RuntimeException translate(RuntimeException ex, EngineConfig config) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof PortInUseException inUse) {
                Map<String, Integer> ports = fixedPorts(config);
                Map.Entry<String, Integer> port = ports.entrySet().stream()
                    .filter((e) -> e.getValue() == inUse.port())
                    .findFirst()
                    .orElse(null);
                if (port != null) {
                    return new MooncakePortInUseException(port.getKey(), port.getValue(), origin(port.getKey()), ex);
                }
            }
            if (t instanceof MetadataUnavailableException
                    || (t instanceof MooncakeException m && m.code() == ErrorCode.METADATA)) {
                return new MetadataServerUnreachableException("mooncake.metadata-server", config.metadataServer(),
                        origin("mooncake.metadata-server"), t.getMessage(), ex);
            }
        }
        return ex;
    }

    private String origin(String property) {
        return PropertyOrigins.of(this.environment, property);
    }

    private static long totalMemory() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return -1;
    }
}
