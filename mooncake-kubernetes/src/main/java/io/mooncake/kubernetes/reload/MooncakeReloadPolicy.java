package io.mooncake.kubernetes.reload;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;

/**
 * Which {@code mooncake.*} properties may change while the engine runs.
 *
 * <p>Only the {@link LiveSetting}s given here are applied at run time. Every other
 * {@code mooncake.*} property is read once, when the engine starts: the protocol, the ports and
 * addresses, the metadata service, the segment sizes, the devices, and (today) the timeouts, which
 * the engine copies into its immutable configuration at start. Changing one of those under a
 * running engine would leave it half-applied (a descriptor that no longer matches the listeners,
 * a protocol the transports were not built for), so the reload guard refuses it and says so.
 * Property names are compared in Spring's relaxed form ({@code transferTimeout} equals
 * {@code transfer-timeout}).
 */
public final class MooncakeReloadPolicy {

    /** The prefix this policy covers. */
    public static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of("mooncake");

    private final Map<ConfigurationPropertyName, LiveSetting> live = new LinkedHashMap<>();

    public MooncakeReloadPolicy(Collection<? extends LiveSetting> liveSettings) {
        for (LiveSetting setting : liveSettings) {
            this.live.put(ConfigurationPropertyName.of(setting.property()), setting);
        }
    }

    /** Whether {@code name} is a {@code mooncake.*} property. */
    public boolean covers(ConfigurationPropertyName name) {
        return PREFIX.isAncestorOf(name);
    }

    /** The live setting of {@code name}, or {@code null} when it is read at startup only. */
    public LiveSetting liveSetting(ConfigurationPropertyName name) {
        return this.live.get(name);
    }

    /** The properties that may change at run time, in canonical form. */
    public List<String> liveProperties() {
        return this.live.keySet().stream().map(ConfigurationPropertyName::toString).toList();
    }
}
