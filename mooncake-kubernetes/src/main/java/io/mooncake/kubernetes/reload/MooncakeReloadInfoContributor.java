package io.mooncake.kubernetes.reload;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * Adds {@code mooncakeReload} to {@code /actuator/info}: the properties that change at run time,
 * the configuration changes refused until a restart (property, running and configured value, origin;
 * secrets masked) and the last decisions. An operator sees there, without reading logs, whether a
 * pod runs with what its ConfigMap says.
 */
public class MooncakeReloadInfoContributor implements InfoContributor {

    private final MooncakeReloadGuard guard;

    private final MooncakeReloadPolicy policy;

    public MooncakeReloadInfoContributor(MooncakeReloadGuard guard, MooncakeReloadPolicy policy) {
        this.guard = guard;
        this.policy = policy;
    }

    @Override
    public void contribute(Info.Builder builder) {
        Map<String, Object> reload = new LinkedHashMap<>();
        reload.put("liveProperties", this.policy.liveProperties());
        reload.put("pendingRestart", this.guard.pendingRestart());
        reload.put("recentDecisions", this.guard.recentDecisions());
        builder.withDetail("mooncakeReload", reload);
    }
}
