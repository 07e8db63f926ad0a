package io.mooncake.engine.config;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Mooncake JSON configuration file of the reference's Python layer ({@code MOONCAKE_CONFIG_PATH}):
 * an object with the keys of {@link MooncakeSetting}, e.g.
 * <pre>{@code
 * {"local_hostname": "10.0.0.5", "metadata_server": "P2PHANDSHAKE", "protocol": "tcp",
 *  "device_name": "", "master_server_address": "10.0.0.1:50051",
 *  "global_segment_size": "3GB", "local_buffer_size": "1GB"}
 * }</pre>
 *
 * <p>Sizes may be JSON numbers or strings in {@link ConfigValues#parseSize the reference's forms};
 * booleans JSON booleans or the reference's words. Other keys are ignored, as in the reference, and
 * listed by {@link #ignoredKeys()}. A wrongly typed or unparsable value fails with the file, the
 * key, the value and the accepted form. Unlike the reference, {@code master_server_address} is
 * optional: the transfer engine does not need a Store master.
 *
 * <p>Immutable and thread-safe.
 */
public final class MooncakeConfigFile {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String source;
    private final Map<MooncakeSetting, String> values;
    private final List<String> ignoredKeys;

    private MooncakeConfigFile(String source, Map<MooncakeSetting, String> values, List<String> ignoredKeys) {
        this.source = source;
        this.values = Collections.unmodifiableMap(values);
        this.ignoredKeys = List.copyOf(ignoredKeys);
    }

    /**
     * Reads and parses a file.
     *
     * @throws MooncakeException when it cannot be read or is not a valid Mooncake configuration
     */
    public static MooncakeConfigFile load(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "Mooncake config file '" + path
                    + "' does not exist; fix the path or unset it", e);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "Mooncake config file '" + path
                    + "' cannot be read: " + e + "; check its permissions", e);
        }
        return parse(text, path.toString());
    }

    /**
     * Parses file content.
     *
     * @param json the JSON text
     * @param source a name for messages, usually the path
     * @throws MooncakeException when the text is not a JSON object or a value is invalid
     */
    public static MooncakeConfigFile parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "Mooncake config file '" + source
                    + "' is not valid JSON at " + where(e.getLocation()) + ": " + e.getOriginalMessage()
                    + "; fix the file (a truncated file ends before its closing '}')", e);
        }
        if (root == null || !root.isObject()) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "Mooncake config file '" + source
                    + "' must hold a JSON object such as {\"protocol\": \"tcp\"}");
        }
        Map<MooncakeSetting, String> values = new EnumMap<>(MooncakeSetting.class);
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            MooncakeSetting s = MooncakeSetting.ofJsonKey(e.getKey());
            if (s == null) {
                String closest = closestKey(e.getKey());
                if (closest != null) {
                    throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "unknown key \"" + e.getKey()
                            + "\" in Mooncake config file '" + source + "' at " + keyLocation(json, e.getKey())
                            + "; did you mean \"" + closest + "\"? Known keys: " + knownKeys());
                }
                ignored.add(e.getKey());
                continue;
            }
            JsonNode node = e.getValue();
            if (node.isNull()) {
                continue;
            }
            String origin = "'" + e.getKey() + "' in Mooncake config file '" + source + "'";
            values.put(s, s.normalize(text(s, node, origin), origin));
        }
        return new MooncakeConfigFile(source, values, ignored);
    }

    /**
     * The known key an unknown one is a likely misspelling of (at most two edits apart, or differing
     * only in case, '-' for '_'), or {@code null} when it is not close to any: such keys are ignored, as
     * the reference does, and listed by {@link #ignoredKeys()}.
     */
    public static String closestKey(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String k = key.toLowerCase(java.util.Locale.ROOT).replace('-', '_');
        for (MooncakeSetting s : MooncakeSetting.values()) {
            int d = distance(k, s.jsonKey());
            if (d < bestDistance) {
                bestDistance = d;
                best = s.jsonKey();
            }
        }
        return bestDistance <= Math.min(2, Math.max(1, key.length() / 4)) ? best : null;
    }

    /** The known keys, for messages. */
    public static String knownKeys() {
        List<String> keys = new ArrayList<>();
        for (MooncakeSetting s : MooncakeSetting.values()) {
            keys.add(s.jsonKey());
        }
        return String.join(", ", keys);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String where(tools.jackson.core.TokenStreamLocation location) {
        return location == null ? "an unknown position"
                : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** The line and column of a top-level key, read with a streaming parser (the tree keeps no positions). */
    private static String keyLocation(String json, String key) {
        try (tools.jackson.core.JsonParser p = JSON.createParser(json)) {
            int depth = 0;
            for (tools.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                } else if (t == tools.jackson.core.JsonToken.PROPERTY_NAME && depth == 1
                        && key.equals(p.currentName())) {
                    return where(p.currentTokenLocation());
                }
            }
        } catch (JacksonException e) {
            // already parsed once; cannot happen
        }
        return "an unknown position";
    }

    private static String text(MooncakeSetting s, JsonNode node, String origin) {
        if (node.isString()) {
            return node.stringValue();
        }
        boolean ok = switch (s.kind()) {
            case SIZE, PORT -> node.isIntegralNumber();
            case BOOLEAN -> node.isBoolean() || node.isIntegralNumber();
            default -> false;
        };
        if (!ok) {
            String expected = switch (s.kind()) {
                case SIZE -> "a whole number of bytes or a string such as \"3GB\"";
                case PORT -> "a whole number";
                case BOOLEAN -> "true or false";
                default -> "a string";
            };
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "invalid value " + node + " for " + origin + "; expected " + expected);
        }
        return node.asString();
    }

    /** The name the file was read from. */
    public String source() {
        return source;
    }

    /** The known keys that were present and not null, normalised (sizes in bytes, booleans true/false). */
    public Map<MooncakeSetting, String> values() {
        return values;
    }

    /** The normalised value of one setting, if present. */
    public Optional<String> get(MooncakeSetting setting) {
        return Optional.ofNullable(values.get(setting));
    }

    /** {@code global_segment_size} in bytes, if present. */
    public OptionalLong globalSegmentSize() {
        return size(MooncakeSetting.GLOBAL_SEGMENT_SIZE);
    }

    /** {@code local_buffer_size} in bytes, if present. */
    public OptionalLong localBufferSize() {
        return size(MooncakeSetting.LOCAL_BUFFER_SIZE);
    }

    /** Keys the file held that are not Mooncake settings (ignored, as in the reference). */
    public List<String> ignoredKeys() {
        return ignoredKeys;
    }

    /** Sets the engine fields the file names (host name, metadata server, protocol, device). */
    public EngineConfig.Builder applyTo(EngineConfig.Builder builder) {
        return Settings.applyTo(values, builder);
    }

    private OptionalLong size(MooncakeSetting s) {
        String v = values.get(s);
        return v == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
    }

    @Override
    public String toString() {
        return "MooncakeConfigFile[" + source + "]" + values;
    }
}
