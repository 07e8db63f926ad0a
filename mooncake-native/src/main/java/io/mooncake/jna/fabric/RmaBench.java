package io.mooncake.jna.fabric;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * The binding's own RMA bench: the workload of {@code src/test/c/fi_rma_bench.c}, with the same
 * flags, the same out-of-band exchange (so a Java initiator can run against the C target and the
 * other way round) and the same result line, through {@link RdmEndpoint}. Comparing the two in
 * one run shows what the JNA binding costs over C on the same provider.
 *
 * <pre>
 * java -cp ... io.mooncake.jna.fabric.RmaBench -p 'tcp;ofi_rxm' -d lo -P 18515            # target
 * java -cp ... io.mooncake.jna.fabric.RmaBench -p 'tcp;ofi_rxm' -d lo -P 18515 -o write -k 1048576 -b 128 -t 5 127.0.0.1
 * </pre>
 */
public final class RmaBench {

    private static final int INFO_BYTES = 8 + 64 + 8 + 8 + 8;

    private RmaBench() {
    }

    public static void main(String[] args) throws Exception {
        String provider = "tcp;ofi_rxm";
        String domain = null;
        String op = "write";
        String host = null;
        int port = 18515;
        int batch = 128;
        long block = 1 << 20;
        long bufferLen = 1L << 28;
        double seconds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-p" -> provider = args[++i];
                case "-d" -> domain = args[++i];
                case "-P" -> port = Integer.parseInt(args[++i]);
                case "-s" -> bufferLen = Long.decode(args[++i]);
                case "-k" -> block = Long.decode(args[++i]);
                case "-b" -> batch = Integer.parseInt(args[++i]);
                case "-t" -> seconds = Double.parseDouble(args[++i]);
                case "-o" -> op = args[++i];
                default -> host = args[i];
            }
        }
        Fabric fabric = JnaFabric.load().library();
        if (fabric == null) {
            throw new IllegalStateException("libfabric cannot be loaded: " + JnaFabric.load().failure());
        }
        try (RdmEndpoint ep = fabric.open(RdmEndpoint.Hints.of(provider, domain)); Memory buf = new Memory(bufferLen)) {
            buf.setMemory(0, bufferLen, (byte) 1);
            try (RdmEndpoint.Registration reg = ep.register(Pointer.nativeValue(buf), bufferLen,
                    RdmEndpoint.ACCESS_REMOTE)) {
                if (host == null) {
                    target(ep, reg, port);
                } else {
                    initiator(ep, reg, host, port, !op.equals("read"), block, batch, seconds);
                }
            }
        }
    }

    private static void target(RdmEndpoint ep, RdmEndpoint.Registration reg, int port) throws IOException {
        ByteBuffer me = ByteBuffer.allocate(INFO_BYTES).order(ByteOrder.nativeOrder());
        byte[] addr = ep.address();
        me.putLong(addr.length).put(Arrays.copyOf(addr, 64)).putLong(reg.address()).putLong(reg.key())
                .putLong(reg.length());
        RdmEndpoint.Completions none = new RdmEndpoint.Completions() {
            @Override
            public void completed(long context, long length) {
            }

            @Override
            public void failed(long context, int error, int providerError, String text) {
                System.err.println("rma_bench: operation failed: " + text);
            }
        };
        try (ServerSocket ss = new ServerSocket(); RdmEndpoint.PollBuffer poll = new RdmEndpoint.PollBuffer(64)) {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(port));
            RdmEndpoint.Description d = ep.description();
            System.out.printf("java_rma_bench target: provider %s, domain %s, fabric %s, port %d%n", d.provider(),
                    d.domain(), d.fabric(), port);
            while (true) {
                try (Socket s = ss.accept()) {
                    s.getOutputStream().write(me.array());
                    InputStream in = s.getInputStream();
                    java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
                    Thread eof = new Thread(() -> {
                        try {
                            while (in.read() >= 0) {
                                // the initiator sends nothing; EOF ends the run
                            }
                        } catch (IOException e) {
                            // closed either way
                        }
                        closed.set(true);
                    }, "rma-bench-eof");
                    eof.setDaemon(true);
                    eof.start();
                    while (!closed.get()) {
                        ep.poll(poll, none);
                    }
                }
            }
        }
    }

    private static void initiator(RdmEndpoint ep, RdmEndpoint.Registration reg, String host, int port, boolean write,
            long block, int batch, double seconds) throws IOException {
        try (Socket s = new Socket(host, port); OpContexts ctx = new OpContexts(batch);
                RdmEndpoint.PollBuffer poll = new RdmEndpoint.PollBuffer(64)) {
            s.setTcpNoDelay(true);
            byte[] raw = new byte[INFO_BYTES];
            new DataInputStream(s.getInputStream()).readFully(raw);
            ByteBuffer peer = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            int addrLen = (int) peer.getLong();
            byte[] addr = new byte[64];
            peer.get(addr);
            long peerBuf = peer.getLong();
            long peerKey = peer.getLong();
            long peerLen = peer.getLong();
            long fiAddr = ep.insert(Arrays.copyOf(addr, addrLen));
            long slots = Math.min(reg.length() / block, peerLen / block);
            if (slots == 0) {
                throw new IllegalArgumentException("block larger than the buffers");
            }
            long remoteBase = ep.remoteAddress(peerBuf, peerBuf);
            int[] done = new int[1];
            RdmEndpoint.Completions sink = new RdmEndpoint.Completions() {
                @Override
                public void completed(long context, long length) {
                    done[0]++;
                }

                @Override
                public void failed(long context, int error, int providerError, String text) {
                    throw new IllegalStateException("operation failed: " + text);
                }
            };
            long[] lat = new long[1 << 20];
            int nlat = 0;
            long ops = 0;
            long next = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long local = reg.address();
            long desc = reg.descriptor();
            io.mooncake.jna.verbs.FfiCall.Frame frame = RdmEndpoint.postFrame();
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                int posted = 0;
                done[0] = 0;
                while (done[0] < batch) {
                    if (posted < batch) {
                        long off = (next % slots) * block;
                        long rc = ep.post(frame, write, local + off, block, desc, fiAddr, remoteBase + off, peerKey,
                                ctx.address(posted));
                        if (rc == 0) {
                            posted++;
                            next++;
                        } else if (rc != -FabricAbi.FI_EAGAIN) {
                            throw new FabricException(write ? "fi_write" : "fi_read", (int) rc, ep.strerror(rc));
                        }
                    }
                    ep.poll(poll, sink);
                }
                ops += batch;
                if (nlat < lat.length) {
                    lat[nlat++] = System.nanoTime() - t0;
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            Arrays.sort(lat, 0, nlat);
            RdmEndpoint.Description d = ep.description();
            System.out.println(String.format(Locale.ROOT, "java_rma_bench provider=%s domain=%s op=%s block=%d batch=%d "
                    + "seconds=%.2f GB/s=%.3f req/s=%.0f batch_p50_us=%.1f batch_p99_us=%.1f", d.provider(), d.domain(),
                    write ? "write" : "read", block, batch, elapsed, ops * (double) block / elapsed / 1e9, ops / elapsed,
                    lat[nlat / 2] / 1e3, lat[(int) (nlat * 0.99)] / 1e3));
        }
    }
}
