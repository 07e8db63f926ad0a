package io.mooncake.jna.fabric;

/**
 * The libfabric ABI facts the binding relies on: struct member offsets and sizes (LP64 Linux,
 * x86-64 and aarch64), flag and enum values, and error numbers, as in the headers of Debian 12's
 * libfabric-dev 1.17.
 *
 * <p>libfabric only appends to its structs and ops tables, so these stay valid for newer
 * libraries. {@code FabricAbiTest} compiles {@code src/test/c/fabric_abi.c} against the installed
 * headers and compares every value here with the C compiler's; a mismatch fails the build.
 * The names are the C program's.
 */
public final class FabricAbi {

    private FabricAbi() {
    }

    /** {@code FI_VERSION(major, minor)}. */
    public static int version(int major, int minor) {
        return (major << 16) | minor;
    }

    /** {@code FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION)} of the headers checked (1.17). */
    public static final int HEADER_VERSION = 65553;


    // struct fi_info and its attribute structs
    public static final long INFO_NEXT = 0;
    public static final long INFO_CAPS = 8;
    public static final long INFO_MODE = 16;
    public static final long INFO_ADDR_FORMAT = 24;
    public static final long INFO_SRC_ADDRLEN = 32;
    public static final long INFO_SRC_ADDR = 48;
    public static final long INFO_TX_ATTR = 72;
    public static final long INFO_RX_ATTR = 80;
    public static final long INFO_EP_ATTR = 88;
    public static final long INFO_DOMAIN_ATTR = 96;
    public static final long INFO_FABRIC_ATTR = 104;
    public static final long TX_ATTR_MODE = 8;
    public static final long TX_ATTR_OP_FLAGS = 16;
    public static final long TX_ATTR_INJECT_SIZE = 40;
    public static final long TX_ATTR_SIZE = 48;
    public static final long EP_ATTR_TYPE = 0;
    public static final long EP_ATTR_MAX_MSG_SIZE = 16;
    public static final long DOMAIN_ATTR_NAME = 8;
    public static final long DOMAIN_ATTR_THREADING = 16;
    public static final long DOMAIN_ATTR_AV_TYPE = 32;
    public static final long DOMAIN_ATTR_MR_MODE = 36;
    public static final long DOMAIN_ATTR_MR_KEY_SIZE = 40;
    public static final long FABRIC_ATTR_NAME = 8;
    public static final long FABRIC_ATTR_PROV_NAME = 16;
    public static final long FABRIC_ATTR_PROV_VERSION = 24;
    public static final long FABRIC_ATTR_API_VERSION = 28;

    // fid objects and their ops tables (the data-path calls are header inlines through these)
    public static final long FID_OPS = 16;
    public static final long OPS_CLOSE = 8;
    public static final long OPS_BIND = 16;
    public static final long OPS_CONTROL = 24;
    public static final long FABRIC_OPS = 24;
    public static final long OPS_FABRIC_DOMAIN = 8;
    public static final long DOMAIN_OPS = 24;
    public static final long DOMAIN_MR = 32;
    public static final long OPS_DOMAIN_AV_OPEN = 8;
    public static final long OPS_DOMAIN_CQ_OPEN = 16;
    public static final long OPS_DOMAIN_ENDPOINT = 24;
    public static final long OPS_MR_REG = 8;
    public static final long MR_MEM_DESC = 24;
    public static final long MR_KEY = 32;
    public static final long EP_CM = 32;
    public static final long EP_RMA = 48;
    public static final long OPS_CM_GETNAME = 16;
    public static final long OPS_RMA_READ = 8;
    public static final long OPS_RMA_WRITE = 32;
    public static final long AV_OPS = 24;
    public static final long OPS_AV_INSERT = 8;
    public static final long OPS_AV_REMOVE = 32;

    // struct fi_av_attr
    public static final long AV_ATTR_TYPE = 0;
    public static final long AV_ATTR_COUNT = 8;
    public static final long SIZEOF_AV_ATTR = 48;
    public static final long CQ_OPS = 24;
    public static final long OPS_CQ_READ = 8;
    public static final long OPS_CQ_READERR = 24;
    public static final long OPS_CQ_STRERROR = 56;

    // struct fi_cq_attr and completion entries
    public static final long CQ_ATTR_SIZE = 0;
    public static final long CQ_ATTR_FORMAT = 16;
    public static final long CQ_ATTR_WAIT_OBJ = 20;
    public static final long SIZEOF_CQ_ATTR = 40;
    public static final long CQ_ENTRY_OP_CONTEXT = 0;
    public static final long CQ_ENTRY_FLAGS = 8;
    public static final long CQ_ENTRY_LEN = 16;
    public static final long SIZEOF_CQ_DATA_ENTRY = 40;
    public static final long CQ_ERR_OP_CONTEXT = 0;
    public static final long CQ_ERR_LEN = 16;
    public static final long CQ_ERR_ERR = 56;
    public static final long CQ_ERR_PROV_ERRNO = 60;
    public static final long CQ_ERR_ERR_DATA = 64;
    public static final long CQ_ERR_ERR_DATA_SIZE = 72;
    public static final long SIZEOF_CQ_ERR_ENTRY = 80;

    // struct fi_context (FI_CONTEXT mode: one per outstanding operation)
    public static final long SIZEOF_CONTEXT = 32;
    public static final long SIZEOF_CONTEXT2 = 64;

    // capability and mode bits (uint64_t)
    public static final long FI_MSG = 2L;
    public static final long FI_RMA = 4L;
    public static final long FI_READ = 256L;
    public static final long FI_WRITE = 512L;
    public static final long FI_REMOTE_READ = 4096L;
    public static final long FI_REMOTE_WRITE = 8192L;
    public static final long FI_HMEM = 1L << 47;
    public static final long FI_DELIVERY_COMPLETE = 1L << 28;
    public static final long FI_CONTEXT = 1L << 59;
    public static final long FI_CONTEXT2 = 1L << 52;

    // mr_mode bits (int)
    public static final int FI_MR_LOCAL = 4;
    public static final int FI_MR_VIRT_ADDR = 16;
    public static final int FI_MR_ALLOCATED = 32;
    public static final int FI_MR_PROV_KEY = 64;
    public static final int FI_MR_HMEM = 1024;
    public static final int FI_MR_ENDPOINT = 512;
    public static final int FI_MR_RAW = 8;

    // enum values
    public static final int FI_THREAD_SAFE = 1;
    public static final int FI_AV_TABLE = 2;
    public static final int FI_CQ_FORMAT_DATA = 3;
    public static final int FI_WAIT_NONE = 0;
    public static final long FI_TRANSMIT = 2048L;
    public static final long FI_RECV = 1024L;
    public static final int FI_ENABLE = 6;
    public static final int FI_EP_RDM = 3;

    // error numbers (positive; calls return them negated)
    public static final int FI_EAGAIN = 11;
    public static final int FI_EAVAIL = 259;
    public static final int FI_ENODATA = 61;
    public static final int FI_ECANCELED = 125;
    public static final int FI_ETOOSMALL = 257;
}
