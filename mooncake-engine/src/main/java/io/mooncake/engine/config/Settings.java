package io.mooncake.engine.config;

import java.util.Map;

/** Applies the engine-relevant Mooncake settings to an {@link EngineConfig.Builder}. */
final class Settings {

    private Settings() {
    }

    static EngineConfig.Builder applyTo(Map<MooncakeSetting, String> values, EngineConfig.Builder b) {
        String v = values.get(MooncakeSetting.LOCAL_HOSTNAME);
        if (v != null) {
            b.localHostname(v);
        }
        v = values.get(MooncakeSetting.METADATA_SERVER);
        if (v != null) {
            b.metadataServer(v);
        }
        v = values.get(MooncakeSetting.PROTOCOL);
        if (v != null) {
            b.protocol(v);
        }
        v = values.get(MooncakeSetting.DEVICE_NAME);
        if (v != null) {
            b.deviceName(v);
        }
        return b;
    }
}
