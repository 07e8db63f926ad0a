package io.mooncake.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's memory access on JDK 25, in a child JVM whatever JDK runs the tests: no
 * {@code sun.misc.Unsafe} warning (its memory methods warn from JDK 24 and will throw later), and
 * no restricted-method warning with {@code --enable-native-access=ALL-UNNAMED}.
 *
 * <p>The JDK is {@code /usr/lib/jvm/temurin-25-jdk-amd64}, or the home named by
 * {@code -Dmooncake.test.jdk25}. Where it is absent the tests are skipped, saying so;
 * {@code -Dmooncake.test.require-jdk25=true} (CI sets it where it installed the JDK) makes that a failure.
 */
class Jdk25MemoryAccessTest {

    static final String UNSAFE_WARNING = "terminally deprecated method in sun.misc.Unsafe";
    static final String RESTRICTED_WARNING = "A restricted method in java.lang.foreign";
    static final String ALLOW_NATIVE = "--enable-native-access=ALL-UNNAMED";

    Path java;

    @BeforeEach
    void findJdk25() {
        Path home = Path.of(System.getProperty("mooncake.test.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        java = home.resolve("bin").resolve("java");
        if (!Files.isExecutable(java)) {
            String why = "no JDK 25 at " + home + " (set -Dmooncake.test.jdk25=<JDK 25 home>)";
            if (Boolean.getBoolean("mooncake.test.require-jdk25")) {
                fail(why + ", and -Dmooncake.test.require-jdk25=true requires it");
            }
            assumeTrue(false, why + ": the JDK 25 memory-access checks did not run");
        }
    }

    @Test
    void copyingMemoryOnJdk25PrintsNoWarning() throws Exception {
        Jvm.Result r = Jvm.run(java, List.of(ALLOW_NATIVE), null, MemoryAccessMain.class);

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("OK foreign");
        assertThat(r.stderr()).as(r.toString()).doesNotContain(UNSAFE_WARNING).doesNotContain("WARNING");
    }

    /** The check above can fail: forced onto Unsafe, the same program gets the JDK's warning. */
    @Test
    void theUnsafeBackendWouldHaveWarned() throws Exception {
        Jvm.Result r = Jvm.run(java, List.of(ALLOW_NATIVE, "-D" + NativeMemory.ACCESS_PROPERTY + "=unsafe"), null,
                MemoryAccessMain.class);

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("OK unsafe");
        assertThat(r.stderr()).as(r.toString()).contains(UNSAFE_WARNING);
    }

    /** Why the tests, the docs and the sample app's manifest enable native access. */
    @Test
    void withoutEnableNativeAccessTheJdkWarnsOnceAboutRestrictedMethods() throws Exception {
        Jvm.Result r = Jvm.run(java, List.of(), null, MemoryAccessMain.class);

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("OK foreign");
        assertThat(r.stderr()).as(r.toString()).contains(RESTRICTED_WARNING).contains(ALLOW_NATIVE)
                .doesNotContain(UNSAFE_WARNING);
    }

    /** Where native access is denied, the engine still works, on Unsafe, and says why. */
    @Test
    void deniedNativeAccessFallsBackToUnsafeSayingWhy() throws Exception {
        Jvm.Result r = Jvm.run(java, List.of("--illegal-native-access=deny"), null, MemoryAccessMain.class);

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("OK unsafe");
        assertThat(r.stderr()).as(r.toString()).contains("java.lang.foreign is not usable")
                .contains(ALLOW_NATIVE);
    }
}
