package io.mooncake.jna.verbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The function-pointer call the data path uses ({@code ops.post_send}, {@code ops.poll_cq},
 * {@code ops.req_notify_cq}), exercised on real libc functions taken by address, since no verbs
 * provider can be opened without an HCA: argument kinds in every position, the {@code int}
 * return (negative too), and no allocation per call.
 */
class FfiCallTest {

    static final NativeLibrary LIBC = NativeLibrary.getInstance("c");

    static long fn(String name) {
        return Pointer.nativeValue(LIBC.getFunction(name));
    }

    static Memory cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        Memory m = new Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }

    @Test
    void libffiPathIsUsedOnThisPlatform() {
        assertThat(JnaRdmaVerbs.POST_SEND.supported()).as("x86-64 and aarch64 call without allocating").isTrue();
        assertThat(JnaRdmaVerbs.POLL_CQ.supported()).isTrue();
        assertThat(JnaRdmaVerbs.REQ_NOTIFY_CQ.supported()).isTrue();
    }

    @Test
    void threePointersReturningIntLikePostSend() {
        FfiCall memcmp = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.POINTER, FfiCall.Type.POINTER);
        Memory a = cString("abcd");
        Memory b = cString("abce");
        FfiCall.Frame f = memcmp.frame();

        assertThat(f.arg(0, Pointer.nativeValue(a)).arg(1, Pointer.nativeValue(b)).arg(2, 3).call(fn("memcmp"))).isZero();
        assertThat(f.arg(2, 4).call(fn("memcmp"))).isNegative();
        assertThat(f.arg(0, Pointer.nativeValue(b)).arg(1, Pointer.nativeValue(a)).call(fn("memcmp"))).isPositive();
    }

    @Test
    void pointerThenIntLikeReqNotifyCq() {
        FfiCall access = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.SINT32);
        FfiCall.Frame f = access.frame();

        assertThat(f.arg(0, Pointer.nativeValue(cString("/"))).arg(1, 0).call(fn("access"))).isZero();
        assertThat(f.arg(0, Pointer.nativeValue(cString("/no/such/path/here"))).call(fn("access"))).isEqualTo(-1);
    }

    @Test
    void pointerIntPointerLikePollCq() {
        // glob(pattern, flags, errfunc, pglob): pointer, int, pointer, pointer; gl_pathc is the first field
        FfiCall glob = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.SINT32, FfiCall.Type.POINTER,
                FfiCall.Type.POINTER);
        Memory globT = new Memory(128);
        globT.clear();
        int rc = glob.frame().arg(0, Pointer.nativeValue(cString("/"))).arg(1, 0).arg(2, 0)
                .arg(3, Pointer.nativeValue(globT)).call(fn("glob"));

        assertThat(rc).isZero();
        assertThat(globT.getLong(0)).as("gl_pathc").isEqualTo(1);
        assertThat(globT.getPointer(8).getPointer(0).getString(0)).isEqualTo("/");
        LIBC.getFunction("globfree").invokeVoid(new Object[] {globT});
    }

    @Test
    void intFirstThenPointers() {
        FfiCall inetPton = FfiCall.returningInt(FfiCall.Type.SINT32, FfiCall.Type.POINTER, FfiCall.Type.POINTER);
        Memory dst = new Memory(16);
        dst.clear();
        int rc = inetPton.frame().arg(0, 2 /* AF_INET */).arg(1, Pointer.nativeValue(cString("10.1.2.3")))
                .arg(2, Pointer.nativeValue(dst)).call(fn("inet_pton"));

        assertThat(rc).isEqualTo(1);
        assertThat(dst.getByteArray(0, 4)).containsExactly(10, 1, 2, 3);
    }

    @Test
    void callsAllocateNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        FfiCall memcmp = FfiCall.returningInt(FfiCall.Type.POINTER, FfiCall.Type.POINTER, FfiCall.Type.POINTER);
        Memory a = cString("0123456789");
        long fn = fn("memcmp");
        FfiCall.Frame f = memcmp.frame().arg(0, Pointer.nativeValue(a)).arg(1, Pointer.nativeValue(a)).arg(2, 10);
        Runnable burst = () -> {
            for (int i = 0; i < 100_000; i++) {
                if (f.arg(2, i % 10).call(fn) != 0) {
                    throw new AssertionError();
                }
            }
        };
        burst.run(); // warm-up: JIT
        long before = threads.getCurrentThreadAllocatedBytes();
        burst.run();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated).as("bytes allocated by 100k calls through a function pointer").isLessThan(16 * 1024);
    }
}
