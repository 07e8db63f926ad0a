package io.mooncake.kubernetes.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.kubernetes.reload.ReloadDecision.Outcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** The guard's decisions on environment changes, without Kubernetes. */
@ExtendWith(OutputCaptureExtension.class)
class MooncakeReloadGuardTests {

    final StandardEnvironment environment = new StandardEnvironment();

    final Map<String, Object> config = new HashMap<>();

    final AtomicInteger applied = new AtomicInteger(-1);

    MooncakeReloadGuard guard;

    @BeforeEach
    void start() {
        this.config.put("mooncake.protocol", "tcp");
        this.config.put("mooncake.live-number", "1");
        this.config.put("mooncake.auth.secret", "s3cret-start");
        this.config.put("other.setting", "a");
        this.environment.getPropertySources().addFirst(new MapPropertySource("configmap.app.ns", this.config));
        LiveSetting live = new LiveSetting() {
            @Override
            public String property() {
                return "mooncake.live-number";
            }

            @Override
            public String apply(Binder binder) {
                int value = binder.bind(property(), Integer.class).get();
                if (value < 0) {
                    throw new IllegalArgumentException("mooncake.live-number must be 0 or more, got " + value);
                }
                MooncakeReloadGuardTests.this.applied.set(value);
                return "now " + value;
            }
        };
        this.guard = new MooncakeReloadGuard(this.environment, new MooncakeReloadPolicy(List.of(live)), "restart it");
    }

    @Test
    void liveSettingIsAppliedAndBecomesTheRunningValue(CapturedOutput output) {
        change("mooncake.live-number", "5");

        assertThat(this.applied).hasValue(5);
        assertThat(this.guard.runningValue("mooncake.live-number")).isEqualTo("'5'");
        assertThat(this.guard.pendingRestart()).isEmpty();
        assertThat(output).contains("Mooncake configuration: applied mooncake.live-number = '5' (was '1') from ConfigMap "
                + "app (namespace ns)");
    }

    @Test
    void invalidLiveValueIsRefusedAndTheRunningValueStays(CapturedOutput output) {
        change("mooncake.live-number", "-3");

        assertThat(this.applied).hasValue(-1);
        assertThat(this.guard.runningValue("mooncake.live-number")).isEqualTo("'1'");
        assertThat(this.guard.recentDecisions()).singleElement()
            .satisfies((d) -> assertThat(d.outcome()).isEqualTo(Outcome.REFUSED_INVALID));
        assertThat(output).contains("Mooncake configuration: refused mooncake.live-number = '-3' from ConfigMap app "
                + "(namespace ns): mooncake.live-number must be 0 or more, got -3; the instance keeps '1'");
    }

    @Test
    void startupSettingIsRefusedUntilChangedBack(CapturedOutput output) {
        change("mooncake.protocol", "rdma");

        assertThat(this.guard.pendingRestart()).containsOnlyKeys("mooncake.protocol");
        assertThat(this.guard.runningValue("mooncake.protocol")).isEqualTo("'tcp'");
        assertThat(output).contains("refused mooncake.protocol = 'rdma' from ConfigMap app (namespace ns): it is read "
                + "when the engine starts and cannot change while it runs; the engine keeps 'tcp' (nothing of the "
                + "change is applied). Restart to apply it: restart it");

        change("mooncake.protocol", "tcp");

        assertThat(this.guard.pendingRestart()).isEmpty();
        assertThat(output).contains("mooncake.protocol is back to the value the engine runs with");
    }

    @Test
    void relaxedNamesAreOneProperty(CapturedOutput output) {
        this.config.put("mooncake.transferTimeout", "9s");
        this.guard.onApplicationEvent(new EnvironmentChangeEvent(Set.of("mooncake.transferTimeout")));

        assertThat(this.guard.pendingRestart()).containsOnlyKeys("mooncake.transfertimeout");
        assertThat(output).contains("refused mooncake.transfertimeout = '9s'");
    }

    @Test
    void removedSettingIsNamedAsBackToTheDefault(CapturedOutput output) {
        this.config.remove("mooncake.protocol");
        this.guard.onApplicationEvent(new EnvironmentChangeEvent(Set.of("mooncake.protocol")));

        assertThat(output).contains("refused mooncake.protocol = the default from ");
        assertThat(this.guard.pendingRestart().get("mooncake.protocol").configured()).isEqualTo("the default");
    }

    @Test
    void secretValuesAreNeverShown(CapturedOutput output) {
        change("mooncake.auth.secret", "s3cret-next");

        assertThat(output).contains("refused mooncake.auth.secret = ******").doesNotContain("s3cret");
        assertThat(this.guard.pendingRestart().get("mooncake.auth.secret").running()).isEqualTo("******");
        assertThat(this.guard.runningValue("mooncake.auth.secret")).isEqualTo("******");
    }

    @Test
    void otherPropertiesAreNotMooncakesConcern(CapturedOutput output) {
        change("other.setting", "b");

        assertThat(this.guard.recentDecisions()).isEmpty();
        assertThat(output).doesNotContain("Mooncake configuration");
    }

    private void change(String key, String value) {
        this.config.put(key, value);
        this.guard.onApplicationEvent(new EnvironmentChangeEvent(Set.of(key)));
    }
}
