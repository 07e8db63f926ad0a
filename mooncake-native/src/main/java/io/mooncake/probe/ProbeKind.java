package io.mooncake.probe;

/** The kinds of hardware this module probes for. */
public enum ProbeKind {
    /** RDMA HCAs (InfiniBand, RoCE, iWARP, eRDMA) through libibverbs. */
    RDMA("rdma"),
    /** AWS Elastic Fabric Adapter through libfabric's efa provider. */
    EFA("efa"),
    /** NVIDIA multi-node NVLink fabric membership of the local GPUs. */
    MNNVL("mnnvl"),
    /** NVLink between GPUs of this node. */
    NVLINK("nvlink"),
    /** NVIDIA CUDA GPUs. */
    CUDA("cuda"),
    /** AMD ROCm/HIP GPUs. */
    ROCM("rocm"),
    /** Huawei Ascend NPUs. */
    ASCEND("ascend"),
    /** CXL memory exposed as device-DAX. */
    CXL("cxl"),
    /** Cambricon MLUs. */
    MLU("mlu"),
    /** NVMe controllers, local or over fabrics. */
    NVME("nvme");

    private final String id;

    ProbeKind(String id) {
        this.id = id;
    }

    /** Short lowercase name used in logs and in the probe command's output. */
    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
