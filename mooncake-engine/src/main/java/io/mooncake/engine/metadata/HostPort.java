package io.mooncake.engine.metadata;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;

/**
 * A {@code host[:port]} pair as segment names and hostnames are written: {@code node-a:15123},
 * {@code 10.0.0.1}, {@code [fe80::1]:15123}.
 *
 * @param host host name or IP (IPv6 without brackets)
 * @param port the port, or {@code -1} when none was given
 */
public record HostPort(String host, int port) {

    /** Parses {@code value}; a missing port gives {@code -1}. */
    public static HostPort parse(String value) {
        if (value == null || value.isBlank()) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "empty host name; expected host or host:port");
        }
        String v = value.trim();
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) {
                throw bad(value);
            }
            String host = v.substring(1, close);
            String rest = v.substring(close + 1);
            if (rest.isEmpty()) {
                return new HostPort(host, -1);
            }
            if (!rest.startsWith(":")) {
                throw bad(value);
            }
            return new HostPort(host, port(value, rest.substring(1)));
        }
        int colon = v.lastIndexOf(':');
        if (colon < 0 || v.indexOf(':') != colon) {
            return new HostPort(v, -1); // no port, or a bare IPv6 address
        }
        return new HostPort(v.substring(0, colon), port(value, v.substring(colon + 1)));
    }

    /** {@link #parse} with {@code defaultPort} for a missing port. */
    public static HostPort parse(String value, int defaultPort) {
        HostPort hp = parse(value);
        return hp.port < 0 ? new HostPort(hp.host, defaultPort) : hp;
    }

    /** {@code host:port}, with brackets around IPv6 hosts. */
    public String format(int p) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + p;
    }

    private static int port(String value, String s) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw bad(value);
            }
            return p;
        } catch (NumberFormatException e) {
            throw bad(value);
        }
    }

    private static MooncakeException bad(String value) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                "'" + value + "' is not host, host:port or [ipv6]:port");
    }
}
