package io.mooncake.jna.verbs;

/**
 * The libibverbs ABI this binding relies on: offsets and sizes of the structs it reads and
 * writes, and the enum values it passes, for 64-bit Linux (LP64: x86-64 and aarch64 lay these
 * structs out alike).
 *
 * <p>Every constant carries the C expression it stands for ({@link Abi}); {@code VerbsAbiTest}
 * compiles all of them against Debian's {@code libibverbs-dev} headers and fails on any
 * difference. Only fields this binding touches are listed; everything else in a struct is left
 * zeroed, as {@code memset(&attr, 0, sizeof(attr))} does in C.
 *
 * <p>{@code ibv_post_send}, {@code ibv_poll_cq} and {@code ibv_req_notify_cq} are header inlines
 * that call {@code qp->context->ops.post_send} (and {@code cq->context->ops.poll_cq},
 * {@code ...req_notify_cq}); {@link #CONTEXT_POST_SEND}, {@link #CONTEXT_POLL_CQ} and
 * {@link #CONTEXT_REQ_NOTIFY_CQ} are those slots.
 */
public final class VerbsAbi {

    private VerbsAbi() {
    }

    @Abi("offsetof(struct ibv_context, device)")
    public static final int CONTEXT_DEVICE = 0;

    @Abi("offsetof(struct ibv_context, ops)")
    public static final int CONTEXT_OPS = 8;

    @Abi("offsetof(struct ibv_context, ops.poll_cq)")
    public static final int CONTEXT_POLL_CQ = 96;

    @Abi("offsetof(struct ibv_context, ops.req_notify_cq)")
    public static final int CONTEXT_REQ_NOTIFY_CQ = 104;

    @Abi("offsetof(struct ibv_context, ops.post_send)")
    public static final int CONTEXT_POST_SEND = 208;

    @Abi("offsetof(struct ibv_context, cmd_fd)")
    public static final int CONTEXT_CMD_FD = 264;

    @Abi("offsetof(struct ibv_context, async_fd)")
    public static final int CONTEXT_ASYNC_FD = 268;

    @Abi("offsetof(struct ibv_context, num_comp_vectors)")
    public static final int CONTEXT_NUM_COMP_VECTORS = 272;

    @Abi("sizeof(struct ibv_device_attr)")
    public static final int SIZEOF_DEVICE_ATTR = 232;

    @Abi("offsetof(struct ibv_device_attr, max_mr_size)")
    public static final int DEVICE_ATTR_MAX_MR_SIZE = 80;

    @Abi("offsetof(struct ibv_device_attr, max_qp)")
    public static final int DEVICE_ATTR_MAX_QP = 108;

    @Abi("offsetof(struct ibv_device_attr, max_qp_wr)")
    public static final int DEVICE_ATTR_MAX_QP_WR = 112;

    @Abi("offsetof(struct ibv_device_attr, max_sge)")
    public static final int DEVICE_ATTR_MAX_SGE = 120;

    @Abi("offsetof(struct ibv_device_attr, max_cq)")
    public static final int DEVICE_ATTR_MAX_CQ = 128;

    @Abi("offsetof(struct ibv_device_attr, max_cqe)")
    public static final int DEVICE_ATTR_MAX_CQE = 132;

    @Abi("offsetof(struct ibv_device_attr, max_mr)")
    public static final int DEVICE_ATTR_MAX_MR = 136;

    @Abi("offsetof(struct ibv_device_attr, max_qp_rd_atom)")
    public static final int DEVICE_ATTR_MAX_QP_RD_ATOM = 144;

    @Abi("offsetof(struct ibv_device_attr, max_qp_init_rd_atom)")
    public static final int DEVICE_ATTR_MAX_QP_INIT_RD_ATOM = 156;

    @Abi("offsetof(struct ibv_device_attr, phys_port_cnt)")
    public static final int DEVICE_ATTR_PHYS_PORT_CNT = 227;

    @Abi("sizeof(struct ibv_port_attr)")
    public static final int SIZEOF_PORT_ATTR = 52;

    @Abi("offsetof(struct ibv_port_attr, state)")
    public static final int PORT_ATTR_STATE = 0;

    @Abi("offsetof(struct ibv_port_attr, max_mtu)")
    public static final int PORT_ATTR_MAX_MTU = 4;

    @Abi("offsetof(struct ibv_port_attr, active_mtu)")
    public static final int PORT_ATTR_ACTIVE_MTU = 8;

    @Abi("offsetof(struct ibv_port_attr, gid_tbl_len)")
    public static final int PORT_ATTR_GID_TBL_LEN = 12;

    @Abi("offsetof(struct ibv_port_attr, lid)")
    public static final int PORT_ATTR_LID = 34;

    @Abi("offsetof(struct ibv_port_attr, active_width)")
    public static final int PORT_ATTR_ACTIVE_WIDTH = 43;

    @Abi("offsetof(struct ibv_port_attr, active_speed)")
    public static final int PORT_ATTR_ACTIVE_SPEED = 44;

    @Abi("offsetof(struct ibv_port_attr, link_layer)")
    public static final int PORT_ATTR_LINK_LAYER = 46;

    @Abi("sizeof(struct ibv_gid_entry)")
    public static final int SIZEOF_GID_ENTRY = 32;

    @Abi("offsetof(struct ibv_gid_entry, gid)")
    public static final int GID_ENTRY_GID = 0;

    @Abi("offsetof(struct ibv_gid_entry, gid_index)")
    public static final int GID_ENTRY_GID_INDEX = 16;

    @Abi("offsetof(struct ibv_gid_entry, port_num)")
    public static final int GID_ENTRY_PORT_NUM = 20;

    @Abi("offsetof(struct ibv_gid_entry, gid_type)")
    public static final int GID_ENTRY_GID_TYPE = 24;

    @Abi("offsetof(struct ibv_gid_entry, ndev_ifindex)")
    public static final int GID_ENTRY_NDEV_IFINDEX = 28;

    @Abi("offsetof(struct ibv_pd, context)")
    public static final int PD_CONTEXT = 0;

    @Abi("offsetof(struct ibv_pd, handle)")
    public static final int PD_HANDLE = 8;

    @Abi("sizeof(struct ibv_mr)")
    public static final int SIZEOF_MR = 48;

    @Abi("offsetof(struct ibv_mr, context)")
    public static final int MR_CONTEXT = 0;

    @Abi("offsetof(struct ibv_mr, pd)")
    public static final int MR_PD = 8;

    @Abi("offsetof(struct ibv_mr, addr)")
    public static final int MR_ADDR = 16;

    @Abi("offsetof(struct ibv_mr, length)")
    public static final int MR_LENGTH = 24;

    @Abi("offsetof(struct ibv_mr, handle)")
    public static final int MR_HANDLE = 32;

    @Abi("offsetof(struct ibv_mr, lkey)")
    public static final int MR_LKEY = 36;

    @Abi("offsetof(struct ibv_mr, rkey)")
    public static final int MR_RKEY = 40;

    @Abi("offsetof(struct ibv_comp_channel, context)")
    public static final int COMP_CHANNEL_CONTEXT = 0;

    @Abi("offsetof(struct ibv_comp_channel, fd)")
    public static final int COMP_CHANNEL_FD = 8;

    @Abi("offsetof(struct ibv_comp_channel, refcnt)")
    public static final int COMP_CHANNEL_REFCNT = 12;

    @Abi("offsetof(struct ibv_cq, context)")
    public static final int CQ_CONTEXT = 0;

    @Abi("offsetof(struct ibv_cq, channel)")
    public static final int CQ_CHANNEL = 8;

    @Abi("offsetof(struct ibv_cq, cq_context)")
    public static final int CQ_CQ_CONTEXT = 16;

    @Abi("offsetof(struct ibv_cq, handle)")
    public static final int CQ_HANDLE = 24;

    @Abi("offsetof(struct ibv_cq, cqe)")
    public static final int CQ_CQE = 28;

    @Abi("offsetof(struct ibv_qp, context)")
    public static final int QP_CONTEXT = 0;

    @Abi("offsetof(struct ibv_qp, qp_context)")
    public static final int QP_QP_CONTEXT = 8;

    @Abi("offsetof(struct ibv_qp, pd)")
    public static final int QP_PD = 16;

    @Abi("offsetof(struct ibv_qp, send_cq)")
    public static final int QP_SEND_CQ = 24;

    @Abi("offsetof(struct ibv_qp, recv_cq)")
    public static final int QP_RECV_CQ = 32;

    @Abi("offsetof(struct ibv_qp, srq)")
    public static final int QP_SRQ = 40;

    @Abi("offsetof(struct ibv_qp, handle)")
    public static final int QP_HANDLE = 48;

    @Abi("offsetof(struct ibv_qp, qp_num)")
    public static final int QP_QP_NUM = 52;

    @Abi("offsetof(struct ibv_qp, state)")
    public static final int QP_STATE = 56;

    @Abi("offsetof(struct ibv_qp, qp_type)")
    public static final int QP_QP_TYPE = 60;

    @Abi("sizeof(struct ibv_qp_init_attr)")
    public static final int SIZEOF_QP_INIT_ATTR = 64;

    @Abi("offsetof(struct ibv_qp_init_attr, qp_context)")
    public static final int QP_INIT_ATTR_QP_CONTEXT = 0;

    @Abi("offsetof(struct ibv_qp_init_attr, send_cq)")
    public static final int QP_INIT_ATTR_SEND_CQ = 8;

    @Abi("offsetof(struct ibv_qp_init_attr, recv_cq)")
    public static final int QP_INIT_ATTR_RECV_CQ = 16;

    @Abi("offsetof(struct ibv_qp_init_attr, srq)")
    public static final int QP_INIT_ATTR_SRQ = 24;

    @Abi("offsetof(struct ibv_qp_init_attr, cap.max_send_wr)")
    public static final int QP_INIT_ATTR_CAP_MAX_SEND_WR = 32;

    @Abi("offsetof(struct ibv_qp_init_attr, cap.max_recv_wr)")
    public static final int QP_INIT_ATTR_CAP_MAX_RECV_WR = 36;

    @Abi("offsetof(struct ibv_qp_init_attr, cap.max_send_sge)")
    public static final int QP_INIT_ATTR_CAP_MAX_SEND_SGE = 40;

    @Abi("offsetof(struct ibv_qp_init_attr, cap.max_recv_sge)")
    public static final int QP_INIT_ATTR_CAP_MAX_RECV_SGE = 44;

    @Abi("offsetof(struct ibv_qp_init_attr, cap.max_inline_data)")
    public static final int QP_INIT_ATTR_CAP_MAX_INLINE_DATA = 48;

    @Abi("offsetof(struct ibv_qp_init_attr, qp_type)")
    public static final int QP_INIT_ATTR_QP_TYPE = 52;

    @Abi("offsetof(struct ibv_qp_init_attr, sq_sig_all)")
    public static final int QP_INIT_ATTR_SQ_SIG_ALL = 56;

    @Abi("sizeof(struct ibv_qp_attr)")
    public static final int SIZEOF_QP_ATTR = 144;

    @Abi("offsetof(struct ibv_qp_attr, qp_state)")
    public static final int QP_ATTR_QP_STATE = 0;

    @Abi("offsetof(struct ibv_qp_attr, path_mtu)")
    public static final int QP_ATTR_PATH_MTU = 8;

    @Abi("offsetof(struct ibv_qp_attr, qkey)")
    public static final int QP_ATTR_QKEY = 16;

    @Abi("offsetof(struct ibv_qp_attr, rq_psn)")
    public static final int QP_ATTR_RQ_PSN = 20;

    @Abi("offsetof(struct ibv_qp_attr, sq_psn)")
    public static final int QP_ATTR_SQ_PSN = 24;

    @Abi("offsetof(struct ibv_qp_attr, dest_qp_num)")
    public static final int QP_ATTR_DEST_QP_NUM = 28;

    @Abi("offsetof(struct ibv_qp_attr, qp_access_flags)")
    public static final int QP_ATTR_QP_ACCESS_FLAGS = 32;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.grh.dgid)")
    public static final int QP_ATTR_AH_ATTR_GRH_DGID = 56;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.grh.flow_label)")
    public static final int QP_ATTR_AH_ATTR_GRH_FLOW_LABEL = 72;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.grh.sgid_index)")
    public static final int QP_ATTR_AH_ATTR_GRH_SGID_INDEX = 76;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.grh.hop_limit)")
    public static final int QP_ATTR_AH_ATTR_GRH_HOP_LIMIT = 77;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.grh.traffic_class)")
    public static final int QP_ATTR_AH_ATTR_GRH_TRAFFIC_CLASS = 78;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.dlid)")
    public static final int QP_ATTR_AH_ATTR_DLID = 80;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.sl)")
    public static final int QP_ATTR_AH_ATTR_SL = 82;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.src_path_bits)")
    public static final int QP_ATTR_AH_ATTR_SRC_PATH_BITS = 83;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.static_rate)")
    public static final int QP_ATTR_AH_ATTR_STATIC_RATE = 84;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.is_global)")
    public static final int QP_ATTR_AH_ATTR_IS_GLOBAL = 85;

    @Abi("offsetof(struct ibv_qp_attr, ah_attr.port_num)")
    public static final int QP_ATTR_AH_ATTR_PORT_NUM = 86;

    @Abi("offsetof(struct ibv_qp_attr, pkey_index)")
    public static final int QP_ATTR_PKEY_INDEX = 120;

    @Abi("offsetof(struct ibv_qp_attr, max_rd_atomic)")
    public static final int QP_ATTR_MAX_RD_ATOMIC = 126;

    @Abi("offsetof(struct ibv_qp_attr, max_dest_rd_atomic)")
    public static final int QP_ATTR_MAX_DEST_RD_ATOMIC = 127;

    @Abi("offsetof(struct ibv_qp_attr, min_rnr_timer)")
    public static final int QP_ATTR_MIN_RNR_TIMER = 128;

    @Abi("offsetof(struct ibv_qp_attr, port_num)")
    public static final int QP_ATTR_PORT_NUM = 129;

    @Abi("offsetof(struct ibv_qp_attr, timeout)")
    public static final int QP_ATTR_TIMEOUT = 130;

    @Abi("offsetof(struct ibv_qp_attr, retry_cnt)")
    public static final int QP_ATTR_RETRY_CNT = 131;

    @Abi("offsetof(struct ibv_qp_attr, rnr_retry)")
    public static final int QP_ATTR_RNR_RETRY = 132;

    @Abi("sizeof(struct ibv_sge)")
    public static final int SIZEOF_SGE = 16;

    @Abi("offsetof(struct ibv_sge, addr)")
    public static final int SGE_ADDR = 0;

    @Abi("offsetof(struct ibv_sge, length)")
    public static final int SGE_LENGTH = 8;

    @Abi("offsetof(struct ibv_sge, lkey)")
    public static final int SGE_LKEY = 12;

    @Abi("sizeof(struct ibv_send_wr)")
    public static final int SIZEOF_SEND_WR = 128;

    @Abi("offsetof(struct ibv_send_wr, wr_id)")
    public static final int SEND_WR_WR_ID = 0;

    @Abi("offsetof(struct ibv_send_wr, next)")
    public static final int SEND_WR_NEXT = 8;

    @Abi("offsetof(struct ibv_send_wr, sg_list)")
    public static final int SEND_WR_SG_LIST = 16;

    @Abi("offsetof(struct ibv_send_wr, num_sge)")
    public static final int SEND_WR_NUM_SGE = 24;

    @Abi("offsetof(struct ibv_send_wr, opcode)")
    public static final int SEND_WR_OPCODE = 28;

    @Abi("offsetof(struct ibv_send_wr, send_flags)")
    public static final int SEND_WR_SEND_FLAGS = 32;

    @Abi("offsetof(struct ibv_send_wr, imm_data)")
    public static final int SEND_WR_IMM_DATA = 36;

    @Abi("offsetof(struct ibv_send_wr, wr.rdma.remote_addr)")
    public static final int SEND_WR_WR_RDMA_REMOTE_ADDR = 40;

    @Abi("offsetof(struct ibv_send_wr, wr.rdma.rkey)")
    public static final int SEND_WR_WR_RDMA_RKEY = 48;

    @Abi("sizeof(struct ibv_wc)")
    public static final int SIZEOF_WC = 48;

    @Abi("offsetof(struct ibv_wc, wr_id)")
    public static final int WC_WR_ID = 0;

    @Abi("offsetof(struct ibv_wc, status)")
    public static final int WC_STATUS = 8;

    @Abi("offsetof(struct ibv_wc, opcode)")
    public static final int WC_OPCODE = 12;

    @Abi("offsetof(struct ibv_wc, vendor_err)")
    public static final int WC_VENDOR_ERR = 16;

    @Abi("offsetof(struct ibv_wc, byte_len)")
    public static final int WC_BYTE_LEN = 20;

    @Abi("offsetof(struct ibv_wc, qp_num)")
    public static final int WC_QP_NUM = 28;

    @Abi("IBV_QPT_RC")
    public static final int IBV_QPT_RC = 2;

    @Abi("IBV_QPS_RESET")
    public static final int IBV_QPS_RESET = 0;

    @Abi("IBV_QPS_INIT")
    public static final int IBV_QPS_INIT = 1;

    @Abi("IBV_QPS_RTR")
    public static final int IBV_QPS_RTR = 2;

    @Abi("IBV_QPS_RTS")
    public static final int IBV_QPS_RTS = 3;

    @Abi("IBV_QPS_ERR")
    public static final int IBV_QPS_ERR = 6;

    @Abi("IBV_QP_STATE")
    public static final int IBV_QP_STATE = 1;

    @Abi("IBV_QP_ACCESS_FLAGS")
    public static final int IBV_QP_ACCESS_FLAGS = 8;

    @Abi("IBV_QP_PKEY_INDEX")
    public static final int IBV_QP_PKEY_INDEX = 16;

    @Abi("IBV_QP_PORT")
    public static final int IBV_QP_PORT = 32;

    @Abi("IBV_QP_AV")
    public static final int IBV_QP_AV = 128;

    @Abi("IBV_QP_PATH_MTU")
    public static final int IBV_QP_PATH_MTU = 256;

    @Abi("IBV_QP_TIMEOUT")
    public static final int IBV_QP_TIMEOUT = 512;

    @Abi("IBV_QP_RETRY_CNT")
    public static final int IBV_QP_RETRY_CNT = 1024;

    @Abi("IBV_QP_RNR_RETRY")
    public static final int IBV_QP_RNR_RETRY = 2048;

    @Abi("IBV_QP_RQ_PSN")
    public static final int IBV_QP_RQ_PSN = 4096;

    @Abi("IBV_QP_MAX_QP_RD_ATOMIC")
    public static final int IBV_QP_MAX_QP_RD_ATOMIC = 8192;

    @Abi("IBV_QP_MIN_RNR_TIMER")
    public static final int IBV_QP_MIN_RNR_TIMER = 32768;

    @Abi("IBV_QP_SQ_PSN")
    public static final int IBV_QP_SQ_PSN = 65536;

    @Abi("IBV_QP_MAX_DEST_RD_ATOMIC")
    public static final int IBV_QP_MAX_DEST_RD_ATOMIC = 131072;

    @Abi("IBV_QP_DEST_QPN")
    public static final int IBV_QP_DEST_QPN = 1048576;

    @Abi("IBV_ACCESS_LOCAL_WRITE")
    public static final int IBV_ACCESS_LOCAL_WRITE = 1;

    @Abi("IBV_ACCESS_REMOTE_WRITE")
    public static final int IBV_ACCESS_REMOTE_WRITE = 2;

    @Abi("IBV_ACCESS_REMOTE_READ")
    public static final int IBV_ACCESS_REMOTE_READ = 4;

    @Abi("IBV_ACCESS_REMOTE_ATOMIC")
    public static final int IBV_ACCESS_REMOTE_ATOMIC = 8;

    @Abi("IBV_ACCESS_RELAXED_ORDERING")
    public static final int IBV_ACCESS_RELAXED_ORDERING = 1048576;

    @Abi("IBV_ACCESS_OPTIONAL_RANGE")
    public static final int IBV_ACCESS_OPTIONAL_RANGE = 1072693248;

    @Abi("IBV_WR_RDMA_WRITE")
    public static final int IBV_WR_RDMA_WRITE = 0;

    @Abi("IBV_WR_RDMA_READ")
    public static final int IBV_WR_RDMA_READ = 4;

    @Abi("IBV_SEND_SIGNALED")
    public static final int IBV_SEND_SIGNALED = 2;

    @Abi("IBV_WC_SUCCESS")
    public static final int IBV_WC_SUCCESS = 0;

    @Abi("IBV_WC_RDMA_WRITE")
    public static final int IBV_WC_RDMA_WRITE = 1;

    @Abi("IBV_WC_RDMA_READ")
    public static final int IBV_WC_RDMA_READ = 2;

    @Abi("IBV_WC_WR_FLUSH_ERR")
    public static final int IBV_WC_WR_FLUSH_ERR = 5;

    @Abi("IBV_WC_RETRY_EXC_ERR")
    public static final int IBV_WC_RETRY_EXC_ERR = 12;

    @Abi("IBV_WC_REM_ACCESS_ERR")
    public static final int IBV_WC_REM_ACCESS_ERR = 10;

    @Abi("IBV_PORT_ACTIVE")
    public static final int IBV_PORT_ACTIVE = 4;

    @Abi("IBV_LINK_LAYER_INFINIBAND")
    public static final int IBV_LINK_LAYER_INFINIBAND = 1;

    @Abi("IBV_LINK_LAYER_ETHERNET")
    public static final int IBV_LINK_LAYER_ETHERNET = 2;

    @Abi("IBV_MTU_256")
    public static final int IBV_MTU_256 = 1;

    @Abi("IBV_MTU_4096")
    public static final int IBV_MTU_4096 = 5;

    @Abi("IBV_GID_TYPE_IB")
    public static final int IBV_GID_TYPE_IB = 0;

    @Abi("IBV_GID_TYPE_ROCE_V1")
    public static final int IBV_GID_TYPE_ROCE_V1 = 1;

    @Abi("IBV_GID_TYPE_ROCE_V2")
    public static final int IBV_GID_TYPE_ROCE_V2 = 2;
}
