package io.mooncake.engine.config;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.Locale;

/**
 * One setting of the reference's Python configuration layer, with its key in the Mooncake JSON
 * file and its {@code MOONCAKE_*} environment variable. The first seven configure the transfer
 * engine and a Store client; the rest belong to the Mooncake Store client only and are parsed
 * (so that a typo fails early) but not acted on by the engine.
 */
public enum MooncakeSetting {
    LOCAL_HOSTNAME("local_hostname", "MOONCAKE_LOCAL_HOSTNAME", Kind.STRING),
    METADATA_SERVER("metadata_server", "MOONCAKE_TE_META_DATA_SERVER", Kind.STRING),
    PROTOCOL("protocol", "MOONCAKE_PROTOCOL", Kind.PROTOCOL),
    DEVICE_NAME("device_name", "MOONCAKE_DEVICE", Kind.STRING),
    MASTER_SERVER_ADDRESS("master_server_address", "MOONCAKE_MASTER", Kind.STRING),
    GLOBAL_SEGMENT_SIZE("global_segment_size", "MOONCAKE_GLOBAL_SEGMENT_SIZE", Kind.SIZE),
    LOCAL_BUFFER_SIZE("local_buffer_size", "MOONCAKE_LOCAL_BUFFER_SIZE", Kind.SIZE),
    ENABLE_SSD_OFFLOAD("enable_ssd_offload", "MOONCAKE_OFFLOAD_ENABLED", Kind.BOOLEAN),
    SSD_OFFLOAD_PATH("ssd_offload_path", "MOONCAKE_OFFLOAD_FILE_STORAGE_PATH", Kind.STRING),
    TENANT_ID("tenant_id", "MOONCAKE_TENANT_ID", Kind.STRING),
    ENABLE_CLIENT_HTTP_SERVER("enable_client_http_server", "MOONCAKE_ENABLE_CLIENT_HTTP_SERVER", Kind.BOOLEAN),
    CLIENT_HTTP_PORT("client_http_port", "MOONCAKE_CLIENT_HTTP_PORT", Kind.PORT);

    /** How a setting's text is checked and normalised. */
    public enum Kind {
        /** Kept as given, trimmed. */
        STRING,
        /** Lower-cased and trimmed; validity is checked where it is used (the file only warns in the reference). */
        PROTOCOL,
        /** A size in {@link ConfigValues#parseSize the reference's forms}, normalised to a whole number of bytes. */
        SIZE,
        /** A boolean in {@link ConfigValues#parseBoolean the reference's forms}, normalised to true/false. */
        BOOLEAN,
        /** A TCP port 1..65535. */
        PORT
    }

    private final String jsonKey;
    private final String environmentVariable;
    private final Kind kind;

    MooncakeSetting(String jsonKey, String environmentVariable, Kind kind) {
        this.jsonKey = jsonKey;
        this.environmentVariable = environmentVariable;
        this.kind = kind;
    }

    /** The key in the Mooncake JSON file, e.g. {@code global_segment_size}. */
    public String jsonKey() {
        return jsonKey;
    }

    /** The environment variable, e.g. {@code MOONCAKE_GLOBAL_SEGMENT_SIZE}. */
    public String environmentVariable() {
        return environmentVariable;
    }

    public Kind kind() {
        return kind;
    }

    /** The setting with this JSON key, or {@code null}. */
    public static MooncakeSetting ofJsonKey(String key) {
        for (MooncakeSetting s : values()) {
            if (s.jsonKey.equals(key)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Checks and normalises a value: sizes become a number of bytes, booleans {@code true} or
     * {@code false}, protocols lower case; strings are trimmed.
     *
     * @param value the raw text
     * @param origin where it came from, named in errors (a variable or {@code file 'x.json' key 'y'})
     * @throws MooncakeException naming the origin, the value and the accepted forms
     */
    public String normalize(String value, String origin) {
        return switch (kind) {
            case STRING -> value.trim();
            case PROTOCOL -> value.trim().toLowerCase(Locale.ROOT);
            case SIZE -> Long.toString(ConfigValues.parseSize(value, origin));
            case BOOLEAN -> Boolean.toString(ConfigValues.parseBoolean(value, origin));
            case PORT -> {
                try {
                    int port = Integer.parseInt(value.trim());
                    if (port >= 1 && port <= 65535) {
                        yield Integer.toString(port);
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                        "invalid port " + origin + "='" + value + "'; use a number from 1 to 65535");
            }
        };
    }
}
