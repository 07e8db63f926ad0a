package io.mooncake.transport.barex;

import io.mooncake.engine.api.InvalidConfigurationException;
import java.util.Map;

/**
 * The reference's barex variables (section 7 of the reference notes): {@code USE_BAREX} switches
 * barex on in barex builds (anything but {@code 0}); {@code ACCL_MIN_PORT}..{@code ACCL_MAX_PORT}
 * (17000-35000) is the range accl-barex listens in and the handshake's {@code barex_port} comes
 * from; {@code ACCL_USE_NICS} lists the NICs (default: automatic); {@code ACCL_LOCAL_DEVICE} and
 * {@code ACCL_USE_CPU} say which memory the channels carry.
 *
 * @param useNics {@code ACCL_USE_NICS} as given, empty for automatic
 * @param localDevice {@code ACCL_LOCAL_DEVICE}, -1 when unset
 */
public record BarexSettings(int minPort, int maxPort, String useNics, int localDevice, boolean useCpu) {

    /** Reads and checks the variables; a bad one is named with its value. */
    public static BarexSettings fromEnvironment(Map<String, String> env) {
        int min = port(env, "ACCL_MIN_PORT", 17000);
        int max = port(env, "ACCL_MAX_PORT", 35000);
        if (min > max) {
            throw new InvalidConfigurationException("ACCL_MIN_PORT", min, "at most ACCL_MAX_PORT (" + max + ")");
        }
        String nics = env.getOrDefault("ACCL_USE_NICS", "").trim();
        int device = -1;
        String d = env.get("ACCL_LOCAL_DEVICE");
        if (d != null && !d.isBlank()) {
            try {
                device = Integer.parseInt(d.trim());
            } catch (NumberFormatException e) {
                throw new InvalidConfigurationException("ACCL_LOCAL_DEVICE", d, "a device index (0, 1, ...)");
            }
            if (device < 0) {
                throw new InvalidConfigurationException("ACCL_LOCAL_DEVICE", d, "a device index (0, 1, ...)");
            }
        }
        String cpu = env.getOrDefault("ACCL_USE_CPU", "").trim();
        boolean useCpu = cpu.equals("1") || cpu.equalsIgnoreCase("true");
        return new BarexSettings(min, max, nics, device, useCpu);
    }

    private static int port(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int p = Integer.parseInt(v.trim());
            if (p >= 1024 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidConfigurationException(name, v, "a port from 1024 to 65535");
    }
}
