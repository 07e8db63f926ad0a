package io.mooncake.engine.metadata;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code metadata_server} connection string, with the reference's forms:
 * {@code P2PHANDSHAKE}; {@code etcd://h1:2379,h2:2379} (separators {@code ,} or {@code ;});
 * a bare {@code host:port} meaning etcd; {@code http://host:port/path} or {@code https://...};
 * {@code redis://host[:port]}.
 *
 * @param scheme {@code p2p}, {@code etcd}, {@code http}, {@code https} or {@code redis}
 * @param endpoints etcd {@code host:port} list; for http the whole URL; for redis {@code host:port}
 * @param original the string as given
 */
public record MetadataConnection(String scheme, List<String> endpoints, String original) {

    public static final String P2PHANDSHAKE = "P2PHANDSHAKE";

    /** The supported forms, for error messages. */
    public static final String FORMS = "P2PHANDSHAKE, etcd://host:port[,host:port...], host:port (etcd), "
            + "http://host:port/path, https://host:port/path, redis://host[:port]";

    /** Redis port the reference assumes when none is given (a quirk kept for compatibility). */
    public static final int REDIS_DEFAULT_PORT = 12001;

    public MetadataConnection {
        endpoints = List.copyOf(endpoints);
    }

    /** Whether peers exchange descriptors directly, with no server. */
    public boolean isP2p() {
        return "p2p".equals(scheme);
    }

    /**
     * Parses a connection string.
     *
     * @throws MooncakeException naming the value and the supported forms
     */
    public static MetadataConnection parse(String value) {
        if (value == null || value.isBlank()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "metadata server is empty; use one of: " + FORMS);
        }
        String v = value.trim();
        if (v.equals(P2PHANDSHAKE)) {
            return new MetadataConnection("p2p", List.of(), value);
        }
        if (v.equalsIgnoreCase(P2PHANDSHAKE)) {
            throw bad(value, "write P2PHANDSHAKE in capitals, exactly as the reference expects");
        }
        int sep = v.indexOf("://");
        if (sep < 0) {
            return new MetadataConnection("etcd", splitEndpoints(value, v), value);
        }
        String scheme = v.substring(0, sep).toLowerCase(Locale.ROOT);
        String rest = v.substring(sep + 3);
        switch (scheme) {
            case "etcd":
                return new MetadataConnection("etcd", splitEndpoints(value, rest), value);
            case "http":
            case "https":
                if (rest.isEmpty()) {
                    throw bad(value, "the URL has no host");
                }
                return new MetadataConnection(scheme, List.of(v), value);
            case "redis":
                String hostPort = rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
                if (hostPort.isEmpty()) {
                    throw bad(value, "no host given");
                }
                if (!hostPort.matches(".*:\\d+$") || hostPort.endsWith("]")) {
                    hostPort = hostPort + ":" + REDIS_DEFAULT_PORT;
                }
                return new MetadataConnection("redis", List.of(hostPort), value);
            default:
                throw bad(value, "unknown scheme '" + scheme + "'");
        }
    }

    private static List<String> splitEndpoints(String original, String list) {
        List<String> eps = Arrays.stream(list.split("[,;]")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (eps.isEmpty()) {
            throw bad(original, "no endpoint given");
        }
        for (String ep : eps) {
            if (!ep.matches("(\\[[0-9a-fA-F:.]+\\]|[^:/\\[\\]]+):\\d{1,5}")) {
                throw bad(original, "endpoint '" + ep + "' is not host:port");
            }
        }
        return eps;
    }

    private static MooncakeException bad(String value, String why) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                "metadata server '" + value + "' is not valid: " + why + "; use one of: " + FORMS);
    }
}
