package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.testsupport.Engines;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The transfer timeout can change while the engine runs (configuration reloaded at run time). */
class TransferTimeoutTest {

    @Test
    void startsAtTheConfiguredValueChangesAtRunTimeAndRefusesNonPositiveValues() {
        try (MooncakeEngine e = MooncakeEngine.start(Engines.loopback().transferTimeout(Duration.ofSeconds(20))
                .build())) {
            assertThat(e.transferTimeout()).isEqualTo(Duration.ofSeconds(20));
            e.transferTimeout(Duration.ofSeconds(90));
            assertThat(e.transferTimeout()).isEqualTo(Duration.ofSeconds(90));
            assertThat(e.config().transferTimeout()).as("the start configuration stays as it was")
                    .isEqualTo(Duration.ofSeconds(20));
            assertThatThrownBy(() -> e.transferTimeout(Duration.ZERO)).isInstanceOf(MooncakeException.class)
                    .hasMessageContaining("PT0S").hasMessageContaining("positive");
            assertThat(e.transferTimeout()).isEqualTo(Duration.ofSeconds(90));
        }
    }
}
