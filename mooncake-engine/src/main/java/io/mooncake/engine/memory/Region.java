package io.mooncake.engine.memory;

import java.util.concurrent.atomic.LongAdder;

/**
 * A registered memory region, with a count of the transfers using it right now.
 *
 * <p>Transfers {@link MemoryRegistry#acquire acquire} a region before touching its memory and
 * release it when done; {@link MemoryRegistry#unregister} waits for them, so memory is never
 * freed under a transfer that is still reading or writing it.
 */
public final class Region implements Hold {

    private final long address;
    private final long length;
    private final String location;
    private final boolean remoteAccessible;
    private final Object owner;
    private final MemoryKind kind;
    private final java.util.concurrent.ConcurrentHashMap<String, Object> attachments =
            new java.util.concurrent.ConcurrentHashMap<>(4);
    final LongAdder users = new LongAdder();
    volatile boolean live = true;

    /**
     * @param address first byte (native address)
     * @param length bytes
     * @param location where the memory lives, such as {@code cpu:0} or {@code cuda:1}; {@code *} = unknown
     * @param remoteAccessible whether peers may read and write it
     * @param owner object keeping the memory alive (a direct buffer), or {@code null} for raw memory
     */
    public Region(long address, long length, String location, boolean remoteAccessible, Object owner) {
        this(address, length, location, remoteAccessible, owner, MemoryKind.ofLocation(location));
    }

    /**
     * @param kind what kind of memory it is (who may copy it how)
     */
    public Region(long address, long length, String location, boolean remoteAccessible, Object owner,
            MemoryKind kind) {
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
        this.address = address;
        this.length = length;
        this.location = location;
        this.remoteAccessible = remoteAccessible;
        this.owner = owner;
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    public String location() {
        return location;
    }

    public boolean remoteAccessible() {
        return remoteAccessible;
    }

    public Object owner() {
        return owner;
    }

    /** What kind of memory this is. */
    public MemoryKind kind() {
        return kind;
    }

    /**
     * Attaches a transport's per-region data (memory keys, a mapping name, an IPC handle) under
     * its protocol name; replaces an earlier one. Thread-safe.
     */
    public void attach(String protocol, Object data) {
        if (data == null) {
            attachments.remove(protocol);
        } else {
            attachments.put(protocol, data);
        }
    }

    /** The data a transport attached to this region, or {@code null}. */
    public Object attachment(String protocol) {
        return attachments.get(protocol);
    }

    /** Whether the region is still registered (it is withdrawn before unregistration waits for its users). */
    public boolean isLive() {
        return live;
    }

    /** One past the last byte. */
    public long end() {
        return address + length;
    }

    /** Whether {@code [addr, addr + len)} lies entirely inside this region. */
    public boolean contains(long addr, long len) {
        return len >= 0 && addr >= address && addr - address <= length && len <= length - (addr - address);
    }

    /** Ends one use begun by {@link MemoryRegistry#acquire}. */
    @Override
    public void release() {
        users.decrement();
    }

    /** Transfers using the region now. */
    public long users() {
        return users.sum();
    }

    @Override
    public String toString() {
        return "Region[0x" + Long.toHexString(address) + ", " + length + " bytes, " + location
                + (kind == MemoryKind.HOST || kind == MemoryKind.DEVICE ? "" : ", " + kind.name().toLowerCase(java.util.Locale.ROOT))
                + (remoteAccessible ? ", remote" : ", local-only") + "]";
    }
}
