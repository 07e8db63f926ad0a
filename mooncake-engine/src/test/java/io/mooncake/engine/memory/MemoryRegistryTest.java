package io.mooncake.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Registration rules and bounds checks. */
class MemoryRegistryTest {

    private final MemoryRegistry registry = new MemoryRegistry();

    @Test
    void findsOnlyRangesEntirelyInsideOneRegion() {
        registry.register(1000, 100, "cpu:0", true, null);
        registry.register(1100, 100, "cpu:0", false, null);
        assertThat(registry.find(1000, 100)).isNotNull();
        assertThat(registry.find(1050, 50)).isNotNull();
        assertThat(registry.find(1050, 51)).as("crosses into the next region").isNull();
        assertThat(registry.find(999, 2)).isNull();
        assertThat(registry.find(1199, 1).remoteAccessible()).isFalse();
        assertThat(registry.findRemoteAccessible(1150, 10)).isNull();
        assertThat(registry.find(1000, Long.MAX_VALUE)).isNull();
        assertThat(registry.find(1000, -1)).isNull();
    }

    @Test
    void overlapsAreRejectedBothWays() {
        registry.register(1000, 100, "cpu:0", true, null);
        for (long[] r : new long[][] {{1000, 1}, {999, 2}, {1099, 10}, {900, 300}}) {
            assertThatThrownBy(() -> registry.register(r[0], r[1], "cpu:0", true, null))
                    .isInstanceOfSatisfying(MooncakeException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_OVERLAPPED));
        }
        registry.register(900, 100, "cpu:0", true, null);
        registry.register(1100, 1, "cpu:0", true, null);
        assertThat(registry.regions()).extracting(Region::address).containsExactly(900L, 1000L, 1100L);
    }

    @Test
    void unregisterNeedsTheStartAddress() {
        registry.register(1000, 100, "cpu:0", true, null);
        assertThatThrownBy(() -> registry.unregister(1001)).isInstanceOfSatisfying(MooncakeException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_NOT_REGISTERED));
        registry.unregister(1000);
        assertThat(registry.find(1000, 1)).isNull();
    }

    @Test
    void unregisterWaitsForTransfersStillUsingTheRegion() throws Exception {
        registry.register(1000, 100, "cpu:0", true, null);
        Region held = registry.acquire(1010, 10, true);
        assertThat(held).isNotNull();
        CompletableFuture<Region> unregistered = CompletableFuture
                .supplyAsync(() -> registry.unregister(1000, Duration.ofSeconds(60)));
        // withdrawn at once, but the call waits as long as the transfer holds the region
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.acquire(1010, 10, true) == null);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> !unregistered.isDone());
        held.release();
        assertThat(unregistered).succeedsWithin(Duration.ofSeconds(30));
        assertThat(registry.acquire(1010, 10, true)).as("withdrawn regions cannot be acquired").isNull();
    }

    @Test
    void unregisterGivesUpWithBusyWhenTheRegionStaysInUse() {
        registry.register(1000, 100, "cpu:0", true, null);
        registry.acquire(1000, 1, false);
        assertThatThrownBy(() -> registry.unregister(1000, Duration.ofMillis(50)))
                .isInstanceOfSatisfying(MooncakeException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BATCH_BUSY))
                .hasMessageContaining("do not free");
        assertThat(registry.find(1000, 1)).isNull();
    }

    @Test
    void acquireHonoursRemoteAccess() {
        registry.register(1000, 100, "cpu:0", false, null);
        assertThat(registry.acquire(1000, 10, true)).isNull();
        assertThat(registry.acquire(1000, 10, false)).isNotNull();
    }

    @Test
    void nullAndWrappingRangesAreRejected() {
        assertThatThrownBy(() -> registry.register(0, 10, "cpu:0", true, null)).hasMessageContaining("address 0");
        assertThatThrownBy(() -> registry.register(Long.MAX_VALUE - 5, 100, "cpu:0", true, null))
                .hasMessageContaining("wraps");
    }

    @Test
    void windowsPointAtNativeMemoryWithoutCopying() {
        long addr = NativeMemory.allocate(64);
        try {
            NativeMemory.fill(addr, 64, (byte) 7);
            MemoryWindow w = new MemoryWindow();
            assertThat(w.point(addr + 8, 16).remaining()).isEqualTo(16);
            w.buffer().put((byte) 42);
            assertThat(NativeMemory.getByte(addr + 8)).isEqualTo((byte) 42);
            assertThat(w.buffer().get()).isEqualTo((byte) 7);
            assertThat(w.buffer().remaining()).isEqualTo(14);
        } finally {
            NativeMemory.free(addr);
        }
    }
}
