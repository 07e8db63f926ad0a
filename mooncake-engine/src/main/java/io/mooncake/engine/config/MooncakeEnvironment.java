package io.mooncake.engine.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The reference's {@code MOONCAKE_*} environment variables (its Python configuration layer), read
 * from a map such as {@code System.getenv()}: {@code MOONCAKE_LOCAL_HOSTNAME},
 * {@code MOONCAKE_TE_META_DATA_SERVER}, {@code MOONCAKE_PROTOCOL}, {@code MOONCAKE_DEVICE},
 * {@code MOONCAKE_MASTER}, {@code MOONCAKE_GLOBAL_SEGMENT_SIZE}, {@code MOONCAKE_LOCAL_BUFFER_SIZE}
 * (see {@link MooncakeSetting} for the Store-only ones) and {@code MOONCAKE_CONFIG_PATH}.
 *
 * <p>Blank variables count as unset. Values are checked and normalised when read, so a bad size
 * fails here, naming the variable. Unlike the reference, {@code MOONCAKE_MASTER} is optional: the
 * transfer engine does not need a Store master.
 *
 * <p>Immutable and thread-safe.
 */
public final class MooncakeEnvironment {

    /** Names the Mooncake JSON file. */
    public static final String MOONCAKE_CONFIG_PATH = "MOONCAKE_CONFIG_PATH";

    private final Map<MooncakeSetting, String> values;
    private final String configPath;

    private MooncakeEnvironment(Map<MooncakeSetting, String> values, String configPath) {
        this.values = Collections.unmodifiableMap(values);
        this.configPath = configPath;
    }

    /**
     * Reads the variables from {@code env}.
     *
     * @throws io.mooncake.engine.api.MooncakeException when a variable holds a bad value
     */
    public static MooncakeEnvironment from(Map<String, String> env) {
        Map<MooncakeSetting, String> values = new EnumMap<>(MooncakeSetting.class);
        for (MooncakeSetting s : MooncakeSetting.values()) {
            String v = env.get(s.environmentVariable());
            if (v != null && !v.isBlank()) {
                values.put(s, s.normalize(v, s.environmentVariable()));
            }
        }
        String path = env.get(MOONCAKE_CONFIG_PATH);
        return new MooncakeEnvironment(values, path == null || path.isBlank() ? null : path.trim());
    }

    /** The variables that were set, normalised (sizes in bytes, booleans true/false), in {@link MooncakeSetting} order. */
    public Map<MooncakeSetting, String> values() {
        return values;
    }

    /** The normalised value of one setting, if its variable was set. */
    public Optional<String> get(MooncakeSetting setting) {
        return Optional.ofNullable(values.get(setting));
    }

    /** {@code MOONCAKE_GLOBAL_SEGMENT_SIZE} in bytes, if set. */
    public OptionalLong globalSegmentSize() {
        return size(MooncakeSetting.GLOBAL_SEGMENT_SIZE);
    }

    /** {@code MOONCAKE_LOCAL_BUFFER_SIZE} in bytes, if set. */
    public OptionalLong localBufferSize() {
        return size(MooncakeSetting.LOCAL_BUFFER_SIZE);
    }

    /** {@code MOONCAKE_CONFIG_PATH}, if set. */
    public Optional<Path> configPath() {
        return Optional.ofNullable(configPath).map(Path::of);
    }

    /** Sets the engine fields these variables name (host name, metadata server, protocol, device). */
    public EngineConfig.Builder applyTo(EngineConfig.Builder builder) {
        return Settings.applyTo(values, builder);
    }

    private OptionalLong size(MooncakeSetting s) {
        String v = values.get(s);
        return v == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
    }

    @Override
    public String toString() {
        return "MooncakeEnvironment" + values + (configPath == null ? "" : " configPath=" + configPath);
    }
}
