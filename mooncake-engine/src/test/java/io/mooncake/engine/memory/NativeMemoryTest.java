package io.mooncake.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every operation of {@link NativeMemory}, on whichever backend this JDK gets (both JDKs run it in CI). */
class NativeMemoryTest {

    @Test
    void backendIsForeignFromJdk22AndUnsafeBefore() {
        boolean overridden = System.getProperty(NativeMemory.ACCESS_PROPERTY) != null;
        if (!overridden) {
            assertThat(NativeMemory.access()).isEqualTo(Runtime.version().feature() >= 22 ? "foreign" : "unsafe");
        }
    }

    @Test
    void allocateFillCopyAndByteAccessRoundTrip() {
        int n = 3 * 65536 + 17;
        long a = NativeMemory.allocate(n);
        long b = NativeMemory.allocate(n);
        try {
            NativeMemory.fill(a, n, (byte) 0x5a);
            for (int i = 0; i < n; i += 4093) {
                assertThat(NativeMemory.getByte(a + i)).isEqualTo((byte) 0x5a);
            }
            Random r = new Random(42);
            byte[] expected = new byte[n];
            r.nextBytes(expected);
            for (int i = 0; i < n; i++) {
                NativeMemory.putByte(a + i, expected[i]);
            }
            for (int len : new int[] {0, 1, 7, 8, 63, 4096, n}) {
                NativeMemory.fill(b, n, (byte) 0);
                NativeMemory.copy(a, b, len);
                for (int i = 0; i < len; i++) {
                    if (NativeMemory.getByte(b + i) != expected[i]) {
                        throw new AssertionError("copy of " + len + " bytes differs at " + i);
                    }
                }
                if (len < n) {
                    assertThat(NativeMemory.getByte(b + len)).as("byte after a copy of %d", len).isZero();
                }
            }
        } finally {
            NativeMemory.free(a);
            NativeMemory.free(b);
        }
    }

    @Test
    void allocationFailureIsAnOutOfMemoryError() {
        assertThatThrownBy(() -> NativeMemory.allocate(1L << 62)).isInstanceOf(OutOfMemoryError.class);
        assertThatThrownBy(() -> NativeMemory.allocate(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addressOfIgnoresPositionAndMatchesViews() {
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        long address = NativeMemory.addressOf(direct);
        direct.position(10).limit(20);
        assertThat(NativeMemory.addressOf(direct)).isEqualTo(address);
        assertThat(NativeMemory.addressOf(direct.slice())).isEqualTo(address + 10);
        direct.put(12, (byte) 99);
        assertThat(NativeMemory.getByte(address + 12)).isEqualTo((byte) 99);
        assertThat(NativeMemory.addressOf(direct.asReadOnlyBuffer())).isEqualTo(address);
        assertThatThrownBy(() -> NativeMemory.addressOf(ByteBuffer.allocate(8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not direct");
    }

    @Test
    void viewsShareTheMemory() {
        ByteBuffer direct = ByteBuffer.allocateDirect(128);
        long address = NativeMemory.addressOf(direct);
        ByteBuffer view = NativeMemory.view(address + 32, 64);
        assertThat(view.position()).isZero();
        assertThat(view.limit()).isEqualTo(64);
        assertThat(view.capacity()).isEqualTo(64);
        assertThat(view.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(view.isDirect()).isTrue();
        assertThat(NativeMemory.addressOf(view)).isEqualTo(address + 32);
        view.putLong(0, 0x0102030405060708L);
        assertThat(direct.getLong(32)).isEqualTo(0x0102030405060708L);
        assertThat(NativeMemory.view(address, 0).capacity()).isZero();
        assertThatThrownBy(() -> NativeMemory.view(address, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeMemory.view(address, Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Integer.toString(NativeMemory.MAX_VIEW));
    }
}
