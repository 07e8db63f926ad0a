package io.mooncake.engine.memory;

/**
 * A registered memory region.
 *
 * @param address first byte (native address)
 * @param length bytes
 * @param location where the memory lives, such as {@code cpu:0} or {@code cuda:1}; {@code *} = unknown
 * @param remoteAccessible whether peers may read and write it
 * @param owner object keeping the memory alive (a direct buffer), or {@code null} for raw memory
 */
public record Region(long address, long length, String location, boolean remoteAccessible, Object owner) {

    /** One past the last byte. */
    public long end() {
        return address + length;
    }

    /** Whether {@code [addr, addr + len)} lies entirely inside this region. */
    public boolean contains(long addr, long len) {
        return len >= 0 && addr >= address && addr - address <= length && len <= length - (addr - address);
    }

    @Override
    public String toString() {
        return "Region[0x" + Long.toHexString(address) + ", " + length + " bytes, " + location
                + (remoteAccessible ? ", remote" : ", local-only") + "]";
    }
}
