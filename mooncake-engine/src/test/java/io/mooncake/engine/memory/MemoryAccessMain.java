package io.mooncake.engine.memory;

import java.nio.ByteBuffer;

/**
 * Uses every memory operation of the engine once, then prints {@code OK <backend>}: run by
 * {@link Jdk25MemoryAccessTest} in a JDK 25 child whose stderr must stay free of warnings.
 */
public final class MemoryAccessMain {

    private MemoryAccessMain() {
    }

    public static void main(String[] args) {
        long a = NativeMemory.allocate(1 << 20);
        long b = NativeMemory.allocate(1 << 20);
        NativeMemory.fill(a, 1 << 20, (byte) 3);
        NativeMemory.putByte(a + 5, (byte) 4);
        NativeMemory.copy(a, b, 1 << 20);
        check(NativeMemory.getByte(b + 5) == 4 && NativeMemory.getByte(b + 6) == 3, "copy");
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        long d = NativeMemory.addressOf(direct);
        check(NativeMemory.view(d, 16).put(0, (byte) 7).get(0) == direct.get(0), "view");
        MemoryWindow w = new MemoryWindow();
        check(w.point(b + 5, 4).get() == 4, "window");
        w.clear();
        try (SharedMapping created = SharedMapping.create(null, 1 << 16);
                SharedMapping opened = SharedMapping.open(null, created.name(), 1 << 16)) {
            NativeMemory.putByte(created.address(), (byte) 9);
            check(NativeMemory.getByte(opened.address()) == 9, "shared mapping");
        }
        NativeMemory.free(a);
        NativeMemory.free(b);
        System.out.println("OK " + NativeMemory.access());
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("BROKEN " + what);
            System.exit(1);
        }
    }
}
