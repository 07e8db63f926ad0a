package io.mooncake.sample;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTests {

    @Test
    void listsSelectedMetricsButNotFunctionsLabelsOrKeywords() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, op) (rate(a_seconds_bucket"
                + "{instance=~\"$instance\",outcome=\"x{y}\"}[$__rate_interval]))) / on (op) b_total offset 5m"))
            .containsExactly("a_seconds_bucket", "b_total");
        assertThat(PromQl.metricNames("topk(10, sum without (peer) (c))")).containsExactly("c");
    }

    @Test
    void dashboardUsesOnlyMooncakeMetrics() throws Exception {
        assertThat(ObservabilityIntegrationTests.dashboardMetricNames()).hasSize(11)
            .allSatisfy((name) -> assertThat(name).startsWith("mooncake_"));
    }
}
