package io.mooncake.transport.efa;

import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.config.EngineConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The efa transport's knobs, read once from the engine configuration and its environment.
 *
 * <ul>
 * <li>libfabric provider: system property {@code mooncake.efa.provider}, else {@code MC_EFA_PROVIDER},
 *     else {@code efa} as in the reference. Another provider ({@code tcp;ofi_rxm}, {@code shm})
 *     runs the same data path without EFA hardware. Not a reference variable.</li>
 * <li>devices: {@code device_name}. With the efa provider a device {@code rdmap16s27} is the
 *     domain {@code rdmap16s27-rdm}; with another provider a device is a domain name ({@code lo}).</li>
 * <li>{@code MC_EFA_CQ_THREADS} (1; 0 = one per device): completion-queue polling threads.</li>
 * <li>{@code MC_MAX_WR}: operations in flight per device, capped at the provider's transmit depth
 *     (the provider's depth when unset, as the reference since its WR-cap change).</li>
 * <li>{@code MC_EFA_NIC_SELECTION} ({@code all} | {@code local}): {@code local} pins accelerator
 *     buffers to NICs near them; this transport registers host memory only, where both mean all
 *     NICs, so {@code local} is accepted and reported as having no effect.</li>
 * </ul>
 *
 * @param provider the libfabric provider
 * @param devices configured device names (empty: all the probe or provider offers)
 * @param cqThreads polling threads asked for (0: one per device)
 * @param maxWr {@code MC_MAX_WR}, or 0 when unset
 * @param nicSelection {@code all} or {@code local}
 */
public record EfaSettings(String provider, List<String> devices, int cqThreads, int maxWr, String nicSelection) {

    /** The provider the reference uses. */
    public static final String EFA = "efa";
    public static final String PROVIDER_PROPERTY = "mooncake.efa.provider";
    public static final String PROVIDER_ENV = "MC_EFA_PROVIDER";

    public EfaSettings {
        devices = List.copyOf(devices);
    }

    /** Reads the settings; bad values throw naming the variable, the value and the fix. */
    public static EfaSettings of(EngineConfig config) {
        Map<String, String> env = config.environment();
        String provider = System.getProperty(PROVIDER_PROPERTY);
        if (provider == null || provider.isBlank()) {
            provider = env.get(PROVIDER_ENV);
        }
        if (provider == null || provider.isBlank()) {
            provider = EFA;
        }
        List<String> devices = config.deviceNames().stream().filter(d -> !d.isBlank() && !d.equals("auto-discovery"))
                .toList();
        int cq = integer(env, "MC_EFA_CQ_THREADS", 1, 0, 1024);
        int maxWr = integer(env, "MC_MAX_WR", 0, 1, 1 << 20);
        String nic = env.getOrDefault("MC_EFA_NIC_SELECTION", "all").trim().toLowerCase(Locale.ROOT);
        if (!nic.equals("all") && !nic.equals("local")) {
            throw new InvalidConfigurationException("environment variable MC_EFA_NIC_SELECTION",
                    env.get("MC_EFA_NIC_SELECTION"), "'all' or 'local' (or unset it)");
        }
        return new EfaSettings(provider.trim(), devices, cq, maxWr, nic);
    }

    /** Whether the provider is the real efa one (not an override). */
    public boolean efaProvider() {
        return provider.equals(EFA);
    }

    /** The libfabric domain of a device under this provider. */
    public String domainOf(String device) {
        return efaProvider() ? device + "-rdm" : device;
    }

    /** Where the provider came from, for the startup line. */
    public String providerOrigin() {
        if (System.getProperty(PROVIDER_PROPERTY) != null && !System.getProperty(PROVIDER_PROPERTY).isBlank()) {
            return "system property " + PROVIDER_PROPERTY;
        }
        return efaProvider() ? "default" : "environment variable " + PROVIDER_ENV;
    }

    private static int integer(Map<String, String> env, String key, int dflt, int min, int max) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new InvalidConfigurationException("environment variable " + key, v, "an integer in [" + min
                        + ", " + max + "] (or unset it)");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("environment variable " + key, v, "an integer in [" + min
                    + ", " + max + "] (or unset it)");
        }
    }
}
