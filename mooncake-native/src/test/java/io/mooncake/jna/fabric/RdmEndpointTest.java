package io.mooncake.jna.fabric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.mooncake.jna.Loaded;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two RDM endpoints in one process on libfabric's {@code tcp;ofi_rxm} provider over loopback:
 * registration, address vector, RMA write and read, completions and their errors, through the
 * ops tables. CI installs libfabric1, so these fail, not skip, without it.
 */
class RdmEndpointTest {

    static final String PROVIDER = "tcp;ofi_rxm";

    static Fabric fabric() {
        Loaded<Fabric> f = JnaFabric.load();
        assertThat(f.isLoaded()).as("libfabric must load (apt-get install libfabric1): %s", f.failure()).isTrue();
        return f.library();
    }

    static RdmEndpoint open() {
        return fabric().open(RdmEndpoint.Hints.of(PROVIDER, "lo"));
    }

    /** Collects completions; records failures. */
    static final class Sink implements RdmEndpoint.Completions {
        final List<Long> done = new ArrayList<>();
        final List<String> failed = new ArrayList<>();

        @Override
        public void completed(long context, long length) {
            done.add(context);
        }

        @Override
        public void failed(long context, int error, int providerError, String text) {
            failed.add(context + ": " + error + " " + text);
        }
    }

    /** Posts, polling both sides while the provider answers -FI_EAGAIN (rxm connects on first use). */
    static long post(RdmEndpoint a, RdmEndpoint b, java.util.function.LongSupplier op) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Sink ignored = new Sink();
        try (RdmEndpoint.PollBuffer pa = new RdmEndpoint.PollBuffer(16);
                RdmEndpoint.PollBuffer pb = new RdmEndpoint.PollBuffer(16)) {
            long rc;
            while ((rc = op.getAsLong()) == -FabricAbi.FI_EAGAIN) {
                a.poll(pa, ignored);
                b.poll(pb, ignored);
                assertThat(System.nanoTime()).as("posted within 30 s").isLessThan(deadline);
            }
            return rc;
        }
    }

    static void pollUntil(RdmEndpoint a, RdmEndpoint b, Sink sink, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (RdmEndpoint.PollBuffer pa = new RdmEndpoint.PollBuffer(16);
                RdmEndpoint.PollBuffer pb = new RdmEndpoint.PollBuffer(16)) {
            Sink ignored = new Sink();
            while (sink.done.size() + sink.failed.size() < count) {
                a.poll(pa, sink);
                b.poll(pb, ignored); // the target side needs progress on manual-progress providers
                assertThat(System.nanoTime()).as("completions within 30 s").isLessThan(deadline);
            }
        }
    }

    @Test
    void opensTcpRxmWithTheReferenceHintsAndDescribesIt() {
        try (RdmEndpoint ep = open()) {
            RdmEndpoint.Description d = ep.description();

            assertThat(d.provider()).isEqualTo("tcp;ofi_rxm");
            assertThat(d.domain()).isEqualTo("lo");
            assertThat(d.fabric()).isEqualTo("127.0.0.1/32");
            assertThat(d.apiVersion()).isEqualTo(Math.min(fabric().version().equals("1.17") ? FabricAbi.version(1, 17)
                    : RdmEndpoint.REFERENCE_API_VERSION, RdmEndpoint.REFERENCE_API_VERSION));
            assertThat(d.txSize()).isPositive();
            assertThat(d.cqSize()).isGreaterThanOrEqualTo(4096);
            assertThat(d.sourceAddressHex()).matches("([0-9a-f]{2})+");
            assertThat(ep.address()).isNotEmpty();
            assertThat(ep.addressHex()).matches("([0-9a-f]{2})+");
            System.out.println("tcp;ofi_rxm: " + d + ", address " + ep.addressHex() + ", gid " + d.sourceAddressHex());
        }
    }

    @Test
    void writesAndReadsBetweenTwoEndpoints() {
        int n = 1 << 20;
        try (RdmEndpoint a = open(); RdmEndpoint b = open(); Memory src = new Memory(n); Memory dst = new Memory(n);
                Memory back = new Memory(n); OpContexts ctx = new OpContexts(4)) {
            for (int i = 0; i < n; i++) {
                src.setByte(i, (byte) (i * 31 + 7));
            }
            dst.clear();
            back.clear();
            long peer = a.insert(b.address());
            try (RdmEndpoint.Registration rs = a.register(Pointer.nativeValue(src), n, RdmEndpoint.ACCESS_LOCAL);
                    RdmEndpoint.Registration rb = a.register(Pointer.nativeValue(back), n, RdmEndpoint.ACCESS_LOCAL);
                    RdmEndpoint.Registration rd = b.register(Pointer.nativeValue(dst), n, RdmEndpoint.ACCESS_REMOTE)) {
                Sink sink = new Sink();
                int w = ctx.acquire();
                long rc = post(a, b, () -> a.write(rs.address(), n, rs.descriptor(), peer,
                        a.remoteAddress(rd.address(), rd.address()), rd.key(), ctx.address(w)));
                assertThat(rc).as("fi_write: %s", a.strerror(rc)).isZero();
                pollUntil(a, b, sink, 1);
                assertThat(sink.failed).isEmpty();
                assertThat(sink.done).containsExactly(ctx.address(w));
                assertThat(Arrays.mismatch(dst.getByteArray(0, n), src.getByteArray(0, n))).as("first differing byte").isEqualTo(-1);

                int r = ctx.acquire();
                long half = a.remoteAddress(rd.address() + n / 2, rd.address());
                rc = post(a, b, () -> a.read(rb.address(), n / 2, rb.descriptor(), peer, half, rd.key(), ctx.address(r)));
                assertThat(rc).as("fi_read: %s", a.strerror(rc)).isZero();
                pollUntil(a, b, sink, 2);
                assertThat(sink.failed).isEmpty();
                assertThat(ctx.slotOf(sink.done.get(1))).isEqualTo(r);
                assertThat(Arrays.mismatch(back.getByteArray(0, n / 2), src.getByteArray(n / 2, n / 2))).as("first differing byte").isEqualTo(-1);
            }
        }
    }

    @Test
    void aWriteUnderAWrongKeyCompletesWithAnError() {
        int n = 4096;
        try (RdmEndpoint a = open(); RdmEndpoint b = open(); Memory src = new Memory(n); Memory dst = new Memory(n)) {
            dst.clear();
            long peer = a.insert(b.address());
            try (RdmEndpoint.Registration rs = a.register(Pointer.nativeValue(src), n, RdmEndpoint.ACCESS_LOCAL);
                    RdmEndpoint.Registration rd = b.register(Pointer.nativeValue(dst), n, RdmEndpoint.ACCESS_REMOTE)) {
                Sink sink = new Sink();
                long rc = post(a, b, () -> a.write(rs.address(), n, rs.descriptor(), peer,
                        a.remoteAddress(rd.address(), rd.address()), rd.key() + 12345, 42L));
                if (rc == 0) {
                    pollUntil(a, b, sink, 1);
                    assertThat(sink.failed).singleElement().asString().startsWith("42: ");
                } else {
                    assertThat(rc).isNegative();
                }
                assertThat(Arrays.mismatch(dst.getByteArray(0, n), new byte[n])).as("first written byte").isEqualTo(-1);
            }
        }
    }

    @Test
    void anUnknownProviderIsRefusedNamingItAndTheCall() {
        assertThatThrownBy(() -> fabric().open(RdmEndpoint.Hints.of("no-such-provider", null)))
                .isInstanceOf(FabricException.class)
                .hasMessageContaining("fi_getinfo(provider=no-such-provider")
                .hasMessageContaining("-61 No data available");
    }

    @Test
    void efaProviderIsAbsentWithoutEfaHardware() {
        assertThatThrownBy(() -> fabric().open(RdmEndpoint.Hints.of("efa", null)))
                .isInstanceOf(FabricException.class)
                .satisfies(e -> assertThat(((FabricException) e).rc()).isEqualTo(-FabricAbi.FI_ENODATA));
    }
}
