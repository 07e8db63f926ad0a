package io.mooncake.autoconfigure;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The Mooncake Store master named by {@code mooncake.master-server-address}, validated at startup
 * and exposed for Store clients. This project does not include a Store client: the bean only
 * carries the address.
 *
 * @param host host name or IP address (IPv6 without brackets)
 * @param port port, 1..65535
 */
public record MooncakeMasterServer(String host, int port) {

    /** {@code host:port}, with brackets around an IPv6 host. */
    public String address() {
        return (this.host.contains(":") ? "[" + this.host + "]" : this.host) + ":" + this.port;
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port}.
     *
     * @throws InvalidConfigurationPropertyValueException naming {@code property}, the value and the form
     */
    public static MooncakeMasterServer parse(String property, String value) {
        String v = (value != null) ? value.trim() : "";
        int colon = v.lastIndexOf(':');
        String host = (colon > 0) ? v.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":") || host.contains("[") || host.contains("]")) {
            host = "";
        }
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(v.substring(colon + 1));
            } catch (NumberFormatException ex) {
                // reported below
            }
        }
        if (host.isBlank() || host.contains("/") || port < 1 || port > 65535) {
            throw new InvalidConfigurationPropertyValueException(property, value,
                    "Expected host:port with a port from 1 to 65535, such as 10.0.0.1:50051 or [fd00::1]:50051.");
        }
        return new MooncakeMasterServer(host, port);
    }
}
