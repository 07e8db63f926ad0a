package io.mooncake.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValuesTests {

    @ParameterizedTest
    @CsvSource({
        "1024, 1024",
        "0, 0",
        "512B, 512",
        "512b, 512",
        "4k, 4096",
        "4KB, 4096",
        "4kb, 4096",
        "3GB, 3221225472",
        "3gb, 3221225472",
        "3g, 3221225472",
        "'3 GB', 3221225472",
        "' 1mb ', 1048576",
        "1.5GB, 1610612736",
        "0.5k, 512",
        "1.0001k, 1024",
        "2t, 2199023255552",
        "2TB, 2199023255552",
        "10MB, 10485760",
    })
    void parseSizeAcceptsReferenceAndSpringForms(String text, long bytes) {
        assertThat(ConfigValues.parseSize(text, "global_segment_size")).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"3GiB", "1MiB", "-1", "-3GB", "", " ", "GB", "3PB", "3 G B", "1e9", "abc", "3GBs",
        "99999999999TB"})
    void parseSizeRejectsOtherForms(String text) {
        assertThatThrownBy(() -> ConfigValues.parseSize(text, "MOONCAKE_GLOBAL_SEGMENT_SIZE"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("MOONCAKE_GLOBAL_SEGMENT_SIZE='" + text + "'")
                .hasMessageContaining("e.g. 3GB");
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "1", "yes", "On", "enable"})
    void parseBooleanAcceptsTrueWords(String text) {
        assertThat(ConfigValues.parseBoolean(text, "x")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "0", "NO", "off", "disable"})
    void parseBooleanAcceptsFalseWords(String text) {
        assertThat(ConfigValues.parseBoolean(text, "x")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2", "y", "enabled", "truee"})
    void parseBooleanRejectsOtherWords(String text) {
        assertThatThrownBy(() -> ConfigValues.parseBoolean(text, "enable_ssd_offload"))
                .isInstanceOf(MooncakeException.class)
                .hasMessageContaining("enable_ssd_offload='" + text + "'")
                .hasMessageContaining("use true, 1, yes, on, enable or false, 0, no, off, disable");
    }
}
