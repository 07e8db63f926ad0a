package io.mooncake.engine.metadata.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.MetadataKeys;
import io.mooncake.engine.metadata.MetadataStore;
import io.mooncake.engine.metadata.SegmentDescriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Found by the chaos test: a peer restarts and publishes its descriptor twice (first without
 * buffers, then with its buffer). A lookup that read the first while the change to the second was
 * being notified returned the first: not cached (rightly), but handed to the engine, which kept it,
 * and no refresh ever looked at it again (the engine used a segment with no buffers for good).
 * A lookup told of a change while it read must read again.
 *
 * <p>The store is an in-memory map whose watch is driven by the test, so the interleaving is exact;
 * the real stores' watches are exercised by the backend contract tests.
 */
class ChangeDuringLookupTest {

    /** A store that, on the first read of {@code raceKey}, lets the value change and notifies it before answering. */
    private static final class RacingStore implements MetadataStore {
        final Map<String, byte[]> kv = new ConcurrentHashMap<>();
        volatile Consumer<String> watcher;
        volatile String raceKey;
        volatile byte[] next;

        @Override
        public Optional<byte[]> get(String key) {
            byte[] v = kv.get(key);
            if (key.equals(raceKey)) {
                raceKey = null;
                kv.put(key, next); // the peer publishes again while this read is in flight ...
                watcher.accept(key); // ... and the watch says so before the read returns the old value
            }
            return Optional.ofNullable(v);
        }

        @Override
        public void put(String key, byte[] value) {
            kv.put(key, value);
        }

        @Override
        public void delete(String key) {
            kv.remove(key);
        }

        @Override
        public boolean watch(String prefix, Consumer<String> changedKey) {
            Consumer<String> previous = watcher;
            watcher = previous == null ? changedKey : k -> {
                previous.accept(k);
                changedKey.accept(k);
            };
            return true;
        }

        @Override
        public String describe() {
            return "racing test store";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aLookupToldOfAChangeWhileReadingReadsAgain() {
        RacingStore store = new RacingStore();
        MetadataKeys keys = MetadataKeys.forCluster(null);
        SegmentDescriptor empty = SegmentDescriptor.tcp("peer", 15000, 2, List.of());
        SegmentDescriptor withBuffer = SegmentDescriptor.tcp("peer", 15000, 2,
                List.of(BufferDescriptor.of("peer", 4096, 4096)));
        store.put(keys.ram("peer"), io.mooncake.engine.metadata.SegmentDescriptorCodec.encode(empty)
                .getBytes(StandardCharsets.UTF_8));
        store.next = io.mooncake.engine.metadata.SegmentDescriptorCodec.encode(withBuffer)
                .getBytes(StandardCharsets.UTF_8);
        store.raceKey = keys.ram("peer");
        try (KvSegmentDirectory d = new KvSegmentDirectory(store, keys, Duration.ZERO, Duration.ofSeconds(10),
                rpc -> false)) {
            assertThat(d.fetch("peer").buffers()).as("the descriptor after the notified change").hasSize(1);
            assertThat(d.fetch("peer").buffers()).as("and that is what is cached").hasSize(1);
        }
    }
}
